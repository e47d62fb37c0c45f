/* SPDX-License-Identifier: MIT */
/* Reading a summary document in unit tests: a symbol's object by name,
 * an integer field that must be there. */
#ifndef TM_TEST_SUMJSON_H
#define TM_TEST_SUMJSON_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

static inline json_t *sumjson_sym(json_t *root, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(root, "symbols"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	}
	cr_assert_fail("%s not in the summary", name);
	return NULL;
}

static inline json_int_t sumjson_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "%s is not an integer", k);
	return json_integer_value(v);
}

#endif
