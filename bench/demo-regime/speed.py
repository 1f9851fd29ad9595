import torch, time, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
def cnn(c1, c2, fc, gn=True):
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.GroupNorm(8 if c1>=16 else 4, c1) if gn else nn.Identity(), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.GroupNorm(8, c2) if gn else nn.Identity(), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2*49, fc), nn.ReLU(), nn.Linear(fc, 10))
x = torch.randn(4096, 1, 28, 28); y = torch.randint(0, 10, (4096,))
for (c1,c2,fc,gn) in [(32,64,128,True),(32,64,128,False),(16,32,128,True),(16,32,64,True),(8,16,64,True)]:
    m = cnn(c1,c2,fc,gn)
    m.eval()
    with torch.no_grad():
        for bs in [256, 1024]:
            m(x[:bs]); t=time.time(); n=0
            while time.time()-t < 2:
                for i in range(0, 4096, bs): m(x[i:i+bs]); n+=bs
            inf = n/(time.time()-t)
            print(f"{c1}-{c2}-{fc} gn={gn} infer bs{bs}: {inf:.0f} img/s")
    m.train(); opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    for bs in [64, 128]:
        t=time.time(); n=0
        while time.time()-t < 3:
            for i in range(0, 4096, bs):
                loss = F.cross_entropy(m(x[i:i+bs]), y[i:i+bs]); opt.zero_grad(); loss.backward(); opt.step(); n+=bs
        print(f"{c1}-{c2}-{fc} gn={gn} train bs{bs}: {n/(time.time()-t):.0f} img/s")
    # frozen convs: head only
    for p in list(m.parameters())[:-4]: p.requires_grad_(False)
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    bs=128; t=time.time(); n=0
    while time.time()-t < 3:
        for i in range(0, 4096, bs):
            loss = F.cross_entropy(m(x[i:i+bs]), y[i:i+bs]); opt.zero_grad(); loss.backward(); opt.step(); n+=bs
    print(f"{c1}-{c2}-{fc} gn={gn} train head-only bs{bs}: {n/(time.time()-t):.0f} img/s")
