/*
 * test_manifest.c - unit tests for manifest.c: RFC 3339 times with
 * nanoseconds, the JSON text (read back with jansson): every field in its
 * place, null for what is not known, names with quotes, backslashes,
 * newlines and bytes that are not UTF-8 (U+FFFD and the exact bytes in
 * file_b64), and manifest_write's temp file, free name and digest.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "manifest.h"

static void
test_time(void **state)
{
	char b[MANIFEST_TIME_LEN];

	(void)state;
	assert_int_equal(manifest_time(1700000000ull * 1000000000u, b,
	    sizeof(b)), 0);
	assert_string_equal(b, "2023-11-14T22:13:20.000000000Z");
	assert_int_equal(manifest_time(1700000000ull * 1000000000u + 1, b,
	    sizeof(b)), 0);
	assert_string_equal(b, "2023-11-14T22:13:20.000000001Z");
	assert_int_equal(manifest_time(999999999u, b, sizeof(b)), 0);
	assert_string_equal(b, "1970-01-01T00:00:00.999999999Z");
	/* too small a buffer is an error, not a cut string */
	assert_int_equal(manifest_time(0, b, 20), -1);
}

static json_t *
parse(const struct manifest_file *mf, const char *name)
{
	char err[256];
	char *text = manifest_json(mf, name, 1234, "ab", "h\"ost", err,
	    sizeof(err));
	json_error_t je;
	json_t *j;

	assert_non_null(text);
	j = json_loads(text, 0, &je);
	if (j == NULL)
		fail_msg("does not parse: %s: %s", je.text, text);
	free(text);
	return j;
}

static void
test_json_fields(void **state)
{
	const char *ifs[] = { "eth0", "e\xfft" };
	struct manifest_input in = {
		.uri = "ring:eth0", .ifnames = ifs, .nifnames = 2,
		.packets = 5, .bytes = 300, .kernel_drops = 2, .if_drops = 1,
		.filtered = MANIFEST_UNKNOWN, .lost = 0,
	};
	struct manifest_file mf = {
		.format = "pcapng", .has_seq = true, .seq = 7,
		.packets = 5, .first_ns = 1000000000u, .last_ns = 2000000001u,
		.disorders = 0, .start_ns = 0, .close_ns = MANIFEST_UNKNOWN,
		.inputs = &in, .ninputs = 1,
	};
	const char *keys[] = { "file", "file_b64", "format", "sequence",
	    "size", "sha256", "packets", "first_packet_time",
	    "last_packet_time", "disorders", "start_time", "close_time",
	    "host", "mtracecap_version", "recovered", "anonymised",
	    "inputs" };
	json_t *j = parse(&mf, "20231114-221320-00000007"), *i0;
	const char *k;
	json_t *v;
	size_t n = 0;

	(void)state;
	json_object_foreach(j, k, v) {
		assert_true(n < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[n]);
		n++;
	}
	assert_int_equal(n, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(j, "file")),
	    "20231114-221320-00000007");
	assert_true(json_is_null(json_object_get(j, "file_b64")));
	assert_int_equal(json_integer_value(json_object_get(j, "sequence")), 7);
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 1234);
	assert_string_equal(json_string_value(json_object_get(j,
	    "last_packet_time")), "1970-01-01T00:00:02.000000001Z");
	assert_true(json_is_null(json_object_get(j, "close_time")));
	assert_string_equal(json_string_value(json_object_get(j, "host")),
	    "h\"ost");
	assert_true(json_is_false(json_object_get(j, "recovered")));
	assert_true(json_is_null(json_object_get(j, "anonymised")));
	i0 = json_array_get(json_object_get(j, "inputs"), 0);
	assert_non_null(i0);
	assert_true(json_is_null(json_object_get(i0, "filtered")));
	assert_int_equal(json_integer_value(json_object_get(i0,
	    "interface_drops")), 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(i0, "interfaces"), 1)), "e\xef\xbf\xbdt");
	assert_int_equal(json_array_size(json_object_get(i0, "gaps")), 0);
	json_decref(j);
	/* --anonymize: what anon.h's note says */
	mf.anonymised = "cryptopan (key sha256 1a2b3c4d), src and dst";
	j = parse(&mf, "x");
	assert_string_equal(json_string_value(json_object_get(j,
	    "anonymised")), "cryptopan (key sha256 1a2b3c4d), src and dst");
	json_decref(j);

	/* nothing known, no sequence number */
	mf.has_seq = false;
	mf.format = NULL;
	mf.packets = mf.first_ns = mf.last_ns = mf.disorders = mf.start_ns =
	    MANIFEST_UNKNOWN;
	mf.ninputs = 0;
	j = parse(&mf, "x");
	assert_true(json_is_null(json_object_get(j, "sequence")));
	assert_true(json_is_null(json_object_get(j, "format")));
	assert_true(json_is_null(json_object_get(j, "packets")));
	assert_true(json_is_null(json_object_get(j, "first_packet_time")));
	assert_int_equal(json_array_size(json_object_get(j, "inputs")), 0);
	json_decref(j);
}

static void
test_json_odd_names(void **state)
{
	struct manifest_file mf = { .format = "pcap",
	    .packets = MANIFEST_UNKNOWN, .first_ns = MANIFEST_UNKNOWN,
	    .last_ns = MANIFEST_UNKNOWN, .disorders = MANIFEST_UNKNOWN,
	    .start_ns = MANIFEST_UNKNOWN, .close_ns = MANIFEST_UNKNOWN };
	json_t *j;

	(void)state;
	/* valid UTF-8 with what JSON must escape: kept exactly */
	j = parse(&mf, "a\"b\\c\nd\xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(j, "file")),
	    "a\"b\\c\nd\xc3\xa9");
	assert_true(json_is_null(json_object_get(j, "file_b64")));
	json_decref(j);
	/* a lone byte, an overlong form, a surrogate, a cut sequence */
	j = parse(&mf, "\xff" "a\xc0\xaf" "\xed\xa0\x80" "\xe2\x82");
	assert_string_equal(json_string_value(json_object_get(j, "file")),
	    "\xef\xbf\xbd" "a" "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "\xef\xbf\xbd\xef\xbf\xbd");
	/* base64 of ff 61 c0 af ed a0 80 e2 82 */
	assert_string_equal(json_string_value(json_object_get(j, "file_b64")),
	    "/2HAr+2ggOKC");
	json_decref(j);
}

static void
test_write(void **state)
{
	char dir[] = "/tmp/test_manifest.XXXXXX", temp[256], want[256];
	char final[256], json[256 + 16], err[512];
	struct manifest_file mf = { .format = "pcap", .packets = 0,
	    .first_ns = MANIFEST_UNKNOWN, .last_ns = MANIFEST_UNKNOWN,
	    .disorders = 0, .start_ns = 0, .close_ns = 0 };
	json_error_t je;
	json_t *j;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(temp, sizeof(temp), "%s/tmp-1-x", dir);
	snprintf(want, sizeof(want), "%s/x", dir);
	assert_non_null(fp = fopen(temp, "w"));
	fputs("abc", fp);
	fclose(fp);
	/* x exists: the file is to be x.1, its manifest x.1.json */
	assert_non_null(fp = fopen(want, "w"));
	fclose(fp);
	assert_int_equal(manifest_write(temp, want, &mf, NULL, final,
	    sizeof(final), err, sizeof(err)), 0);
	snprintf(json, sizeof(json), "%s.1", want);
	assert_string_equal(final, json);
	snprintf(json, sizeof(json), "%s.1.json", want);
	assert_non_null(j = json_load_file(json, 0, &je));
	assert_string_equal(json_string_value(json_object_get(j, "file")),
	    "x.1");
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 3);
	/* sha256sum of "abc" */
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	json_decref(j);
	unlink(json);
	unlink(want);
	unlink(temp);
	assert_int_equal(rmdir(dir), 0);	/* no temp manifest left */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_odd_names),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
