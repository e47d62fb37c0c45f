/* SPDX-License-Identifier: MIT */
/* Built-in rules, generated at build time from shim/profiles/ *.json by
 * tm_profgen (which also checks every rule parses). Sorted by name. */
#ifndef TM_PROFILES_H
#define TM_PROFILES_H

struct tm_profile_entry {
	const char *name, *type, *success, *error, *codes, *bytes, *flow, *profile;
};

extern const struct tm_profile_entry tm_profile_entries[] __attribute__((visibility("hidden")));
extern const unsigned tm_profile_count __attribute__((visibility("hidden")));

#endif
