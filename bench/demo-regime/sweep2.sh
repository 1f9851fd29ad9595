#!/bin/sh
R="/usr/bin/python3 regime.py c1.json"
E='{"test":5000,"shift":1000}'
P10='{"pretrain":10000,"pre":{"epochs":8}}'
$R "$E" "$P10" '{"grid":{"lr":[0.005,0.01,0.02,0.03],"sched":"cos","epochs":2,"subset":10000}}' > logs/s2_pre10k_cos_sub10k.log 2>&1
$R "$E" "$P10" '{"shards":12}' '{"grid":{"lr":[0.005,0.01,0.02,0.03],"sched":"cos","epochs":3,"subset":null}}' > logs/s2_pre10k_cos_shards.log 2>&1
$R "$E" '{"grid":{"lr":[0.005,0.01,0.02,0.03],"sched":"cos","epochs":2,"freeze":"conv1"}}' > logs/s2_pre25k_cos_freeze1.log 2>&1
