/* SPDX-License-Identifier: MIT */
#ifndef TM_TARGETS_LONGNAMES_H
#define TM_TARGETS_LONGNAMES_H
/* 228 bytes each, the same first 224 */
#define LN_ONE                                                                                     \
	ln_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name__one
#define LN_TWO                                                                                     \
	ln_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name_a_very_long_name__two
long LN_ONE(long x);
long LN_TWO(long x);
long ln_short(long x);
#endif
