/* SPDX-License-Identifier: MIT */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkdirs.h"
#include "nick.h"
#include "random.h"

char *identity_state_dir(struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/') {
		strbuf_printf(&sb, "%s/mqchat", xdg);
	} else if (home && *home) {
		strbuf_printf(&sb, "%s/.local/state/mqchat", home);
	} else {
		strbuf_appends(err, "neither XDG_STATE_HOME nor HOME is set: no place for state");
		return NULL;
	}
	if (mkdirs(sb.data, 0700, NULL) != 0) {
		strbuf_printf(err, "%s: cannot create the state directory: %s", sb.data,
		              strerror(errno));
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_take(&sb);
}

/* `bytes` random bytes as 2 * bytes hex digits and a NUL. */
static void random_hex(char *out, size_t bytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[32];
	random_bytes(buf, bytes);
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * bytes] = '\0';
}

void identity_new_message_id(char out[MQC_MESSAGE_ID_SIZE])
{
	random_hex(out, 8);
}

static bool is_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 32 && (s[n] == '\0' || s[n] == '\n');
}

/* Reads <state_dir>/identity: 1 with the id in `id`, 0 when there is none,
 * -1 (with why in `err`) when the file is not an identity. */
static int read_identity(const char *path, char id[33], struct strbuf *err)
{
	char buf[64] = {0};
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	bool ok = fgets(buf, sizeof buf, f) && is_id(buf);
	fclose(f);
	if (!ok) {
		strbuf_printf(err, "%s: not an mqchat identity (32 hex digits); move it away to "
		              "get a new one", path);
		return -1;
	}
	memcpy(id, buf, 32);
	id[32] = '\0';
	return 1;
}

/* Writes a new id to a temporary file and links it in place, so a crash
 * never leaves a half-written identity and two first runs agree on one
 * winner.  0, or an errno value. */
static int write_identity(const char *path, const char id[33])
{
	struct strbuf tmp = STRBUF_INIT;
	strbuf_printf(&tmp, "%s.%ld", path, (long)getpid());
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && dprintf(fd, "%s\n", id) == 33 && fsync(fd) == 0;
	int saved = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && link(tmp.data, path) != 0) {
		ok = false;
		saved = errno;
	}
	unlink(tmp.data);
	strbuf_free(&tmp);
	return ok ? 0 : saved ? saved : EIO;
}

char *identity_stable_id(const char *state_dir, bool *lasting, struct strbuf *err)
{
	char id[33];
	*lasting = false;
	if (!state_dir) {
		random_hex(id, 16);
		return xstrdup(id);
	}
	struct strbuf path = STRBUF_INIT;
	strbuf_printf(&path, "%s/identity", state_dir);
	int found = read_identity(path.data, id, err);
	int error = 0;
	if (found == 0) {
		random_hex(id, 16);
		error = write_identity(path.data, id);
		if (error == EEXIST) /* another first run won: take its id */
			found = read_identity(path.data, id, err);
		else if (error)
			strbuf_printf(err, "%s: cannot write the identity: %s", path.data,
			              strerror(error));
	}
	if (found == 0 && error == EEXIST)
		strbuf_printf(err, "%s: the identity vanished as it was made", path.data);
	strbuf_free(&path);
	if (found < 0)
		return NULL;
	*lasting = found == 1 || !error;
	return xstrdup(id);
}

char *identity_clean_nick(const char *nick, size_t len, struct strbuf *err)
{
	struct strbuf clean = STRBUF_INIT;
	const char *why = nick_clean(&clean, nick, len);
	if (why) {
		strbuf_appends(err, why);
		return NULL; /* nick_clean() appended nothing */
	}
	return strbuf_take(&clean);
}

char *identity_ask_nick(void)
{
	/* Byte by byte with read(): stdio would buffer input typed ahead,
	 * which belongs to the line editor that starts next. */
	struct strbuf line = STRBUF_INIT;
	fputs("Nick: ", stdout);
	fflush(stdout);
	char c;
	ssize_t n;
	while ((n = read(STDIN_FILENO, &c, 1)) == 1 && c != '\n')
		if (c != '\r' && line.len < 256)
			strbuf_appendc(&line, c);
	if (n != 1 && line.len == 0) {
		strbuf_free(&line);
		return NULL;
	}
	return strbuf_take(&line);
}
