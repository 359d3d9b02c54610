/*
 * ps_float_text.h — the text of a FLOAT value in CSV output, one formatter
 * for the owner's REST answers (ps_rest_format.c) and pulsora-cli (cli_main.c),
 * so both print the same bytes for the same double.  Header only: `query`
 * in the CLI needs none of the owner's modules for it.
 *
 * Finite values: ps_format_double (ps_types.h), the first of %.15g, %.16g,
 * %.17g that reads back exactly ("0.1", "1e+300", "-0").  NaN and the
 * infinities as PostgreSQL spells them: "NaN", "Infinity", "-Infinity".
 */
#ifndef PS_FLOAT_TEXT_H
#define PS_FLOAT_TEXT_H

#include <math.h>
#include <string.h>

#include "core/ps_types.h"

/* Write d's CSV text NUL-terminated into out; returns its length. */
static inline size_t
ps_float_text(double d, char out[PS_DOUBLE_TEXT_MAX])
{
	const char *word;

	if (isfinite(d))
		return ps_format_double(d, out);
	word = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
	memcpy(out, word, strlen(word) + 1);
	return strlen(word);
}

#endif
