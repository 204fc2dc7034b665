#!/bin/sh
# The board pack before and after a change, A/B/A/B: CPU seconds, wall, peak memory, each a new
# process. BASE = a copy of the old tree (git archive OLD | tar -x -C $BASE; link .venv),
# HERE = this tree, TMP = a scratch folder, LOG = where the lines go. Run by hand:
#   BASE=/tmp/base HERE=$PWD TMP=/tmp/ab LOG=/tmp/ab.log sh bench/board_before_after.sh
for r in 1 2; do
  for tree in $BASE $HERE; do
    cd $tree
    /usr/bin/time -f "$tree round $r: wall %e s, CPU %U+%S s, peak %M KB" env HOTSPOTS_CACHE_DIR=$TMP/cache PYTHONPATH=$tree $HERE/.venv/bin/python -m hotspots report --config report.example.toml --out $TMP/out > /dev/null 2>> $LOG
    uptime >> $LOG
  done
done
