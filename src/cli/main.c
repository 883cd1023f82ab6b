/* SPDX-License-Identifier: MIT */
/* main.c - the command table and dispatch (git style) */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd commands[] = {
	{ "run", cmd_run, "run [options] --policy FILE",
	  "inventory, plan, archive, erase and certify a machine in one resumable run" },
	{ "plan", cmd_plan, "plan [options] --policy FILE",
	  "show what a policy decides for every item found; changes nothing" },
	{ "erase", cmd_erase, "erase [options] TARGET...",
	  "overwrite block devices, files or trees and verify by reading back" },
	{ "methods", cmd_methods, "methods [options] [NAME|FILE]",
	  "list the overwrite methods and their passes" },
	{ "inventory", cmd_inventory, "inventory [options]",
	  "list software, data, key material and block devices" },
	{ "archive", cmd_archive, "archive create|verify|extract|status [options]",
	  "archive retained records as a verified, encrypted BagIt bag" },
	{ "keygen", cmd_keygen, "keygen [options] -o PREFIX",
	  "make a certificate-signing key and its certificate or CSR" },
	{ "certify", cmd_certify, "certify [options] --run-dir DIR... -o NAME.json",
	  "write a signed disposal certificate from run records" },
	{ "verify", cmd_verify, "verify [options] CERT.json...",
	  "check signed disposal certificates (signature, chain, consistency)" },
	{ "show", cmd_show, "show [options] CERT.json",
	  "show a disposal certificate as a person reads it (the NIST form first)" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage:\n dispose <command> [options]\n\nCommands:\n");
	for (size_t i = 0; i < DSP_ARRAY_SIZE(commands); i++)
		fprintf(out, " %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nOptions:\n -h, --help     display this help\n"
		     " -V, --version  display version\n\n"
		     "Options mean the same in every command: -h --help, -v --verbose,\n"
		     "-q --quiet, -J --json, -o --output FILE, -C --directory DIR,\n"
		     "-n --dry-run, -y --yes, -j --jobs N, -m --method, -r --root DIR.\n"
		     "Run 'dispose <command> --help' for a command's options.\n"
		     "For more details see dispose(8).\n");
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return DSP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return DSP_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("dispose %s (%s)\n", DSP_VERSION, DSP_GITREV);
		return DSP_EXIT_OK;
	}
	for (size_t i = 0; i < DSP_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		rc = commands[i].fn(argc - 1, argv + 1);
		/* stdout may be a pipe that was cut: a lost report is an error */
		if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
			if (errno != EPIPE)
				cli_err("standard output: write error: %s",
					strerror(errno));
			if (rc == DSP_EXIT_OK)
				rc = DSP_EXIT_FAILED;
		}
		return rc;
	}
	if (!argv[1][0])	/* not ": unknown command" */
		return cli_usage_error(NULL, "COMMAND: empty argument");
	return cli_usage_error(NULL, "%s: unknown %s", argv[1],
			       argv[1][0] == '-' ? "option" : "command");
}
