/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	null - the trivial fuzz target: the exec/s ceiling of AFL++ here
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Does nothing with its input. Built like every target's AFL++
 *	persistent build (afl-clang-fast -O2 -fsanitize=fuzzer, the same
 *	driver and shared-memory input) into build/fuzz-afl/baseline_null,
 *	it measures what afl-fuzz, the fork server and the persistent-mode
 *	hand-off cost per execution on this machine at this moment:
 *	fuzz/tools/speed and fuzz/campaigns/campaign run it beside the
 *	targets and give each target's rate as a share of it. Not a
 *	target: it is not in fuzz/targets/, has no seeds and is not
 *	replayed by make test.
 * DIAGNOSTICS
 *	None.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
