#!/bin/bash -eu
# build.sh - ClusterFuzzLite's build step: the tree's own fuzz/build.sh,
# with the image's $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT
# $WORK, one make job per core.
FUZZ_JOBS=$(nproc) exec "$SRC/smtpd-harness/fuzz/build.sh"
