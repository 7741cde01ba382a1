#!/usr/bin/env bash
# Instructions per iteration of the op-overhead loop (c = a*b + a; c.sum().backward()),
# by callgrind: deterministic where timings on a shared machine are not. Needs valgrind.
#
#   bash benchmarks/icount.sh [TREE] [LONG] [SHORT]   # TREE: a checkout (default: this one)
#
# It runs the loop LONG and SHORT times (default 2,500 and 500) under
# `valgrind --tool=callgrind` with address randomisation off and a fixed hash seed, and
# prints (instructions(LONG) - instructions(SHORT)) / (LONG - SHORT): start-up cancels.
# Two measurements of one tree differ by up to ~1% (2,500 of ~255,000 here).
set -eu
tree=$(cd "${1:-.}" && pwd)
long=${2:-2500}
short=${3:-500}
py=$(python -c "import sys; print(sys.executable)")
loop='import sys, autograd as ag
a = ag.tensor([1.5], requires_grad=True); b = ag.tensor([-0.5], requires_grad=True)
for _ in range(int(sys.argv[1])):
    c = a * b + a
    c.sum().backward()'
count() {
    PYTHONHASHSEED=0 PYTHONPATH=$tree setarch "$(uname -m)" -R valgrind --tool=callgrind \
        --callgrind-out-file=/dev/null "$py" -c "$loop" "$1" 2>&1 |
        sed -n 's/.*Collected : *\([0-9,]*\).*/\1/p' | tr -d ,
}
l=$(count "$long")
s=$(count "$short")
echo "$tree: $(( (l - s) / (long - short) )) instructions per iteration"
