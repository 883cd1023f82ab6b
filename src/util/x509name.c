/* SPDX-License-Identifier: MIT */
/* x509name.c - an X.509 name as one line of text */
#include "dispose/util.h"

#include <string.h>
#include <openssl/x509.h>

char *dsp_x509_name_text(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *r = NULL, *p;
	long n;

	if (b && X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0)
		r = strndup(p, (size_t)n);
	BIO_free(b);
	return r;
}
