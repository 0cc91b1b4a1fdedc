# Independent reference values with exact rational arithmetic (Python fractions and math.comb).
import json, math
from fractions import Fraction as F
C = math.comb
def eg(P,k): return 1 - F(C(P-k,k), C(P,k)) if 2*k <= P else F(1)
def pi(S,m,i): return F(C(S,i)*C(S-i,2*(m-i))*C(2*(m-i),m-i), C(S,m)**2)
def link(S,m,q): return 1 - sum(pi(S,m,i) for i in range(q))
def cps(S,m,q,x):
    one = 1 - (1 - F(m,S))**x
    return sum(one**i * pi(S,m,i) for i in range(q,m+1)) / link(S,m,q)
def cover(S,m,i,x): return sum((-1)**j * C(i,j) * F(C(S-j,m), C(S,m))**x for j in range(i+1))
def exact(S,m,q,x): return sum(cover(S,m,i,x)*pi(S,m,i) for i in range(q,m+1)) / link(S,m,q)
def thr(s,sp,t,x):
    f = F(sp,s)
    return sum(C(x,j)*f**j*(1-f)**(x-j) for j in range(t+1,x+1))
out = {"eg": [], "qcomposite": [], "resilience": [], "threshold": []}
for P,k,src in [(10000,75,"EG CCS 2002 section 4 example (text rounds up to 0.5)"),(10000,100,"EG CCS 2002 Fig. 1 curve"),
                (100000,200,"bench parameters"),(100000000,1000,"P = 10^8 overflow check"),(1000,500,"2k = P")]:
    out["eg"].append({"pool":P,"ring":k,"p":float(eg(P,k)),"source":src})
for S,m in [(1000,50),(10000,200)]:
    dist=[float(pi(S,m,i)) for i in range(0,8)]
    out["qcomposite"].append({"pool":S,"ring":m,"p_i_first8":dist,
        "link":{str(q):float(link(S,m,q)) for q in (1,2,3)},"source":"Chan-Perrig-Song S&P 2003 section 4.1 p(i)"})
for S,m,q,x in [(100,10,2,5),(200,20,2,10),(100,10,3,20),(500,30,1,7)]:
    out["resilience"].append({"pool":S,"ring":m,"q":q,"captured":x,"cps":float(cps(S,m,q,x)),"exact":float(exact(S,m,q,x)),
        "source":"CPS S&P 2003 section 4.2; Zhao et al. IEEE T-IT 2017 inclusion-exclusion"})
for s,sp,t,x in [(11,2,49,100),(11,2,49,300),(1,1,50,51),(1,1,50,50),(20,5,10,60)]:
    out["threshold"].append({"polynomials":s,"perNode":sp,"degree":t,"captured":x,"fraction":float(thr(s,sp,t,x)),
        "source":"Liu-Ning CCS 2003 section 4.1.2 / Du et al. CCS 2003 section 5"})
n,Pc=10000,0.99999
out["erdosRenyi"]={"nodes":n,"connectivity":Pc,"degree":((n-1)/n)*(math.log(n)-math.log(-math.log(Pc))),
  "neighbours":40,"source":"EG CCS 2002 section 3.2: d = ((n-1)/n)(ln n - ln(-ln Pc)); paper quotes d ~ 20, p ~ 0.5 for n' = 40"}
print(json.dumps(out, indent=1))
