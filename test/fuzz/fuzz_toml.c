/*
 * fuzz_toml.c — libFuzzer target for the pulsora.toml reader
 * (src/server/ps_config.c).
 *
 * Properties checked on every input: parsing never crashes, never reads out
 * of bounds and never leaks (ASan); an error always names a line within the
 * input (or none, for the file-size limit); and a successfully parsed
 * configuration, written back with ps_config_format, reads back identical.
 *
 * Build and run (seed corpus in test/fuzz/corpus/toml/):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc test/fuzz/fuzz_toml.c \
 *     src/server/ps_config.c src/core/ps_buf.c src/core/ps_error.c src/core/ps_types.c \
 *     -o build/fuzz_toml
 *   build/fuzz_toml -max_total_time=60 test/fuzz/corpus/toml/
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/ps_config.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ps_config	c, again;
	ps_error	err;
	ps_buf		text = PS_BUF_INIT;
	int64_t		lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += (data[i] == '\n');
	ps_config_default(&c, true);
	if (ps_config_parse((const char *) data, size, "fuzz.toml", &c, &err) != PS_OK)
	{
		if (err.line < 0 || err.line > lines || err.message[0] == '\0')
			abort();
		return 0;
	}
	if (ps_config_format(&c, &text) != PS_OK)
		abort();
	ps_config_default(&again, false);
	if (ps_config_parse((const char *) text.data, text.len, "fuzz.toml", &again, &err) != PS_OK)
		abort();
	if (again.rest != c.rest || strcmp(again.host, c.host) != 0 || again.port != c.port ||
		strcmp(again.auth_token, c.auth_token) != 0 ||
		again.max_body_size_mb != c.max_body_size_mb ||
		again.max_connections != c.max_connections || again.sync != c.sync ||
		again.write_buffer_size_mb != c.write_buffer_size_mb ||
		again.block_cache_mb != c.block_cache_mb || again.compression != c.compression ||
		again.batch_size != c.batch_size || again.max_field_mb != c.max_field_mb ||
		again.log_level != c.log_level)
		abort();
	ps_buf_free(&text);
	return 0;
}
