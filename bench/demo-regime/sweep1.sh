#!/bin/sh
# exploratory sweep 1; each line: name + overrides on c1.json
R="/usr/bin/python3 regime.py c1.json"
E='{"test":5000,"shift":1000}'
$R "$E" '{"grid":{"lr":[0.005,0.01,0.015,0.02]}}' > logs/s1_const_lowlr.log 2>&1
$R "$E" '{"pretrain":10000,"pre":{"epochs":8}}' '{"grid":{"lr":[0.005,0.01,0.015,0.02]}}' > logs/s1_pre10k_const.log 2>&1
$R "$E" '{"grid":{"lr":[0.01,0.02,0.03,0.05],"freeze":"conv"}}' > logs/s1_head_only.log 2>&1
$R "$E" '{"grid":{"lr":[0.005,0.01,0.015,0.02],"freeze":"conv1"}}' > logs/s1_freeze_conv1.log 2>&1
$R "$E" '{"pretrain":10000,"pre":{"epochs":8}}' '{"grid":{"lr":[0.002,0.004,0.006,0.01],"sched":"cos","epochs":2}}' > logs/s1_pre10k_cos2ep.log 2>&1
