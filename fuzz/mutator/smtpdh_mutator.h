/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	smtpdh_mutator - AFL++ custom mutator for the auth and policy protocols
 * SYNOPSIS
 *	#include "smtpdh_mutator.h"
 *
 *	void *afl_custom_init(void *afl, unsigned int seed);
 *	size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size,
 *	                       uint8_t **out_buf, uint8_t *add_buf,
 *	                       size_t add_buf_size, size_t max_size);
 *	const char *afl_custom_describe(void *data, size_t max_len);
 *	void afl_custom_deinit(void *data);
 * DESCRIPTION
 *	See smtpdh_mutator.c. The functions follow AFL++'s custom mutator
 *	interface (docs/custom_mutators.md); the afl_state_t pointer is
 *	not used and is typed void * here.
 */
#ifndef FUZZ_MUTATOR_SMTPDH_MUTATOR_H
#define FUZZ_MUTATOR_SMTPDH_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

#define SMUT_MAX_PREFIX	8	/* SMTPDH_MUTATOR_PREFIX bound */

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_len);
void afl_custom_deinit(void *data);

#endif
