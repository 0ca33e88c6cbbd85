/*
 * fuzz_options.c - libFuzzer harness for options_parse().
 *
 * The input is an argument vector: NUL bytes separate the arguments
 * (argv[0] is "mtracecap").  Each argument gets its own exact-size heap
 * block so that ASan sees any read past its end.  A successful parse must
 * yield a config that obeys the rules main.c relies on; a failed one must
 * say why.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "fuzz_common.h"

#define MAX_ARGS	64

static void
check_words(char **w)
{
	size_t n = 0;

	FUZZ_CHECK(w != NULL);
	for (; w[n] != NULL; n++)
		;
	FUZZ_CHECK(n >= 1);
}

static void
check_config(const struct config *cfg)
{
	if (cfg->action != ACTION_RUN)
		return;
	FUZZ_CHECK(cfg->output_path != NULL && cfg->output_path[0] != '\0');
	FUZZ_CHECK(cfg->ninputs >= 1 && cfg->inputs != NULL);
	for (size_t i = 0; i < cfg->ninputs; i++)
		FUZZ_CHECK(cfg->inputs[i] != NULL && cfg->inputs[i][0] != '\0');
	FUZZ_CHECK(cfg->snaplen >= 1 && cfg->snaplen <= OPTIONS_SNAPLEN_MAX);
	FUZZ_CHECK(cfg->file_ext != NULL && strchr(cfg->file_ext, '/') == NULL);
	if (!cfg->rotating) {
		FUZZ_CHECK(cfg->rotate_seconds == 0 && cfg->rotate_bytes == 0);
		FUZZ_CHECK(cfg->seqfile == NULL && cfg->file_ext[0] == '\0');
	} else {
		FUZZ_CHECK(strcmp(cfg->output_path, "-") != 0);
	}
	if (cfg->compress_type != COMPRESS_NONE) {
		FUZZ_CHECK(cfg->compress_level >= 1 &&
		    cfg->compress_level <= 9);
		FUZZ_CHECK(cfg->pipeout == NULL);
	} else {
		FUZZ_CHECK(cfg->compress_level <= 0);
	}
	FUZZ_CHECK((cfg->pipeout == NULL) == (cfg->pipeout_argv == NULL));
	if (cfg->pipeout_argv != NULL)
		check_words(cfg->pipeout_argv);
	FUZZ_CHECK((cfg->post_rotate == NULL) ==
	    (cfg->post_rotate_argv == NULL));
	if (cfg->post_rotate_argv != NULL)
		check_words(cfg->post_rotate_argv);
	FUZZ_CHECK(cfg->queue_bytes >= (1u << 20));
	FUZZ_CHECK(cfg->capture_buffer >= (1u << 20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	char err[512];
	struct config cfg;
	size_t start = 0;
	int argc = 0, rc;

	argv[argc] = strdup("mtracecap");
	FUZZ_CHECK(argv[argc] != NULL);
	argc++;
	while (start <= size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + start, '\0', size - start);
		size_t n = nul != NULL ? (size_t)(nul - data) - start :
		    size - start;

		if (nul == NULL && n == 0 && start > 0)
			break;		/* a trailing NUL ends the last word */
		argv[argc] = malloc(n + 1);
		FUZZ_CHECK(argv[argc] != NULL);
		memcpy(argv[argc], data + start, n);
		argv[argc][n] = '\0';
		argc++;
		start += n + 1;
	}
	argv[argc] = NULL;

	err[0] = '\0';
	rc = options_parse(argc, argv, &cfg, err, sizeof(err));
	if (rc == 0) {
		check_config(&cfg);
		options_free(&cfg);
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(cfg.output_path == NULL && cfg.pipeout_argv == NULL &&
		    cfg.post_rotate_argv == NULL);
	}
	/* getopt_long permutes argv, never the strings themselves */
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
