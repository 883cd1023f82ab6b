/* SPDX-License-Identifier: MIT */
/* host.c - the certifying host's identity (hostname, machine-id, DMI) and this binary's build id */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cert_int.h"
#include "dispose/json.h"

#define DMI_DIR		"/sys/class/dmi/id"
#define MACHINE_ID	"/etc/machine-id"
#define FIELD_MAX	256	/* DMI strings are short; longer is not an identity */

/* Where DMI and the machine id are read; test builds may point elsewhere. */
static const char *dmi_dir(void)
{
#ifdef DSP_TEST_HOOKS
	const char *d = getenv("DISPOSE_TEST_DMI_DIR");

	if (d && *d)
		return d;
#endif
	return DMI_DIR;
}

static const char *machine_id_path(void)
{
#ifdef DSP_TEST_HOOKS
	const char *p = getenv("DISPOSE_TEST_MACHINE_ID");

	if (p && *p)
		return p;
#endif
	return MACHINE_ID;
}

/*
 * The first line of a small file with surrounding white space trimmed:
 * malloc'd, or NULL when unreadable, empty, too long or holding a NUL.
 */
static char *read_field(const char *path)
{
	char buf[FIELD_MAX + 1], *s, *e;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(buf) - 1) {	/* longer than any real field */
		close(fd);
		return NULL;
	}
	close(fd);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return NULL;
	s = buf;
	e = strchr(s, '\n');
	if (e)
		*e = '\0';
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return *s ? strdup(s) : NULL;
}

/*
 * Values firmware puts where the vendor left a field unset: they identify
 * nothing, so the certificate says null rather than claim them.
 */
static const char *const placeholders[] = {
	"To be filled by O.E.M.", "To Be Filled By O.E.M", "Default string", "Not Specified",
	"Not Applicable", "Not Available", "N/A", "NA", "None", "Unknown", "O.E.M.", "OEM",
	"System manufacturer", "System Product Name", "System Serial Number",
	"Chassis Manufacturer", "Chassis Serial Number", "Base Board Serial Number",
	"Type1ProductConfigId", "Asset-1234567890", "No Asset Tag", "No Asset Information",
	"0123456789", "1234567890", "Serial Number", "SerialNumber", "Invalid", "Empty",
};

/* The one character s repeats (0000, FFFF, "........") once dashes and spaces are gone, or 0. */
static int repeated(const char *s)
{
	int first = 0;

	for (; *s; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if (!first)
			first = toupper((unsigned char)*s);
		else if (toupper((unsigned char)*s) != first)
			return 0;
	}
	return first;
}

static bool is_placeholder(const char *s)
{
	int c;

	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (!strcasecmp(s, placeholders[i]))
			return true;
	c = repeated(s);
	/* all-zero / all-F UUIDs and serials such as "0", "00000000", "XXXXXXXX", "........" */
	return c && strchr("0FX.*", c);
}

static const char *const dmi_fields[] = {
	"sys_vendor", "product_name", "product_serial", "product_uuid",
	"chassis_serial", "chassis_asset_tag", "board_serial",
};

/* obj[key] = the field's text (json.h rules for bytes that are not UTF-8), or null. */
static int add_field(struct json_object *obj, const char *key, char *val)
{
	int r;

	if (val && is_placeholder(val)) {
		free(val);
		val = NULL;
	}
	r = dsp_json_add_bytes(obj, key, val);
	free(val);
	return r;
}

static char *host_name(void)
{
	char buf[HOST_NAME_MAX + 1];
	struct utsname u;

	if (gethostname(buf, sizeof(buf)) == 0) {
		buf[sizeof(buf) - 1] = '\0';
		if (buf[0])
			return strdup(buf);
	}
	if (uname(&u) == 0 && u.nodename[0])
		return strdup(u.nodename);
	return NULL;
}

struct json_object *cert_host_identity(void)
{
	struct json_object *host = json_object_new_object(), *dmi = json_object_new_object();
	char path[PATH_MAX], *mid;
	const char *dir = dmi_dir();
	int r;

	if (!host || !dmi)
		goto fail;
	if (add_field(host, "hostname", host_name()))
		goto fail;
	mid = read_field(machine_id_path());
	/* systemd writes "uninitialized" before first boot completes: not an id */
	if (mid && !strcmp(mid, "uninitialized")) {
		free(mid);
		mid = NULL;
	}
	if (add_field(host, "machine_id", mid))
		goto fail;
	for (size_t i = 0; i < sizeof(dmi_fields) / sizeof(dmi_fields[0]); i++) {
		r = snprintf(path, sizeof(path), "%s/%s", dir, dmi_fields[i]);
		if (add_field(dmi, dmi_fields[i], r > 0 && (size_t)r < sizeof(path) ?
				  read_field(path) : NULL))
			goto fail;
	}
	if (json_object_object_add(host, "dmi", dmi))
		goto fail;
	return host;
fail:
	json_object_put(dmi);
	json_object_put(host);
	return NULL;
}

/* ---- the ELF build id of the running program ---- */

struct note_scan {
	char hex[2 * 64 + 1];
	bool found;
};

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* The main program comes first in dl_iterate_phdr's order; only it is looked at. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct note_scan *ns = arg;

	(void)size;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum && !ns->found; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p, *end;
		size_t al = ph->p_align == 8 ? 8 : 4;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			size_t name_off = sizeof(*nh);
			size_t desc_off = name_off + align_up(nh->n_namesz, al);
			size_t next = desc_off + align_up(nh->n_descsz, al);

			if (next > (size_t)(end - p) || desc_off > (size_t)(end - p))
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(p + name_off, "GNU", 4) && nh->n_descsz > 0 &&
			    nh->n_descsz <= 64) {
				for (size_t k = 0; k < nh->n_descsz; k++)
					snprintf(ns->hex + 2 * k, 3, "%02x", p[desc_off + k]);
				ns->found = true;
				break;
			}
			p += next;
		}
	}
	return 1;
}

const char *cert_build_id(void)
{
	static struct note_scan ns;
	static bool done;

	if (!done) {
		dl_iterate_phdr(find_build_id, &ns);
		done = true;
	}
	return ns.found ? ns.hex : NULL;
}
