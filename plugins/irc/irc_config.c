/* SPDX-License-Identifier: MIT */
/* The irc backend's keys: declared, checked, read once. */
#include "irc_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret_file.h"

#define SECONDS(lo, hi) .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = lo, .max = hi
#define ON_OFF .type = MQC_KEY_BOOL

const struct mqc_key irc_config_keys[] = {
	{.name = "host", .def = "localhost", .help = "IRC server host name or address"},
	{.name = "port", .help = "TCP port; default 6697 with tls = on, else 6667"},
	{.name = "tls", .def = "on", ON_OFF, .help = "TLS, the server's certificate verified"},
	{.name = "cafile", .flags = MQC_KEY_PATH,
	 .help = "CA certificates to verify the server with (default: the system's)"},
	{.name = "capath", .flags = MQC_KEY_PATH, .help = "directory of hashed CA certificates"},
	{.name = "certfile", .flags = MQC_KEY_PATH,
	 .help = "client certificate (PEM), for servers that know users by it"},
	{.name = "keyfile", .flags = MQC_KEY_PATH, .help = "the client certificate's key (PEM)"},
	{.name = "tls_insecure", .def = "off", ON_OFF,
	 .help = "on: do not verify the server's certificate (warned at each start)"},
	{.name = "nick", .help = "nick on this network (default: [core] nick)"},
	{.name = "username", .help = "user name sent with USER and SASL (default: the nick)"},
	{.name = "realname", .def = "mqchat", .help = "real name sent with USER"},
	{.name = "password_file", .flags = MQC_KEY_PATH | MQC_KEY_SECRET,
	 .help = "file whose first line is the server password, or SASL's with sasl = on"},
	{.name = "sasl", .def = "off", ON_OFF, .help = "log in with SASL PLAIN"},
	{.name = "keepalive", .def = "60", SECONDS(5, 3600),
	 .help = "seconds of silence before a PING; as many more without an answer: reconnect"},
	{.name = "connect_timeout", .def = "10", SECONDS(1, 600),
	 .help = "seconds one attempt may take, from resolving the name to registration"},
	{.name = "retry", .def = "off", ON_OFF,
	 .help = "on: keep retrying a first connection that fails, instead of giving up"},
	{.name = "reconnect_max", .def = "30", SECONDS(1, 3600),
	 .help = "longest wait, in seconds, between reconnection attempts"},
	{.name = NULL},
};

static char *copy_or_null(const char *value)
{
	return value && *value ? strdup(value) : NULL;
}

/* "", or a port number; 0 for "" and UINT32_MAX for anything else. */
static unsigned port_value(const char *value)
{
	if (!*value)
		return 0;
	char *end;
	unsigned long port = strtoul(value, &end, 10);
	return *end || port < 1 || port > 65535 || *value == '+' || *value == '-'
	           ? UINT32_MAX
	           : (unsigned)port;
}

/* Keys that must go together; the files named exist and can be read. */
static bool check_files(struct mqc_instance *inst, const struct mqc_host *host,
                        const struct irc_config *cfg)
{
	bool ok = true;
	const struct irc_tls_options *t = &cfg->tls_options;
	if (!t->certfile != !t->keyfile) {
		host->config_error(inst, t->certfile ? "keyfile" : "certfile",
		                   "certfile and keyfile go together; give both or neither");
		ok = false;
	}
	const char *keys[] = {"cafile", "capath", "certfile", "keyfile"};
	const char *paths[] = {t->cafile, t->capath, t->certfile, t->keyfile};
	for (size_t i = 0; i < 4; i++) {
		const char *problem = paths[i] ? readable_problem(paths[i], i == 1) : NULL;
		if (problem) {
			host->config_error(inst, keys[i], "cannot read %s: %s", paths[i], problem);
			ok = false;
		}
	}
	if (cfg->sasl && !cfg->password) {
		host->config_error(inst, "sasl", "SASL needs the password: set password_file");
		ok = false;
	}
	return ok;
}

static bool load_password(struct irc_config *cfg, struct mqc_instance *inst,
                          const struct mqc_host *host, bool checking)
{
	const char *path = host->config(inst, "password_file");
	if (!*path)
		return true;
	bool others_read;
	const char *why = "";
	cfg->password = secret_file_read(path, &others_read, &why);
	if (!cfg->password) {
		host->config_error(inst, "password_file", "cannot read %s: %s", path, why);
		return false;
	}
	for (const char *c = cfg->password; *c; c++)
		if ((unsigned char)*c < ' ') {
			host->config_error(inst, "password_file",
			                   "the password in %s holds a control character", path);
			return false;
		}
	if (checking && others_read)
		host->log(inst, MQC_LOG_WARNING,
		          "password_file %s is readable by others: chmod o-r it", path);
	return true;
}

/* A nick made of [core] nick, which may be anything ("Ana María"): each
 * byte IRC does not take becomes '_', one in front when it starts with a
 * digit or '-'. */
char *irc_nick_from(const char *core)
{
	static const char special[] = "[]\\`_^{|}";
	char nick[IRC_NICK_MAX + 1];
	size_t n = 0;
	if (!*core || (*core >= '0' && *core <= '9') || *core == '-')
		nick[n++] = '_';
	for (const char *c = core; *c && n < IRC_NICK_MAX; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		          (*c >= '0' && *c <= '9') || *c == '-' || strchr(special, *c);
		/* A multi-byte character becomes one '_', not one per byte. */
		if (ok)
			nick[n++] = *c;
		else if (((unsigned char)*c & 0xC0) != 0x80)
			nick[n++] = '_';
	}
	nick[n] = '\0';
	return strdup(nick);
}

/* The nick, user name and real name: what registration sends. */
static bool load_names(struct irc_config *cfg, struct mqc_instance *inst,
                       const struct mqc_host *host)
{
	const char *nick = host->config(inst, "nick");
	cfg->nick_from_core = !*nick;
	/* The core may know no nick yet (--check-config, before it asks). */
	const char *core_nick = host->nick(inst);
	cfg->nick = *nick ? strdup(nick) : irc_nick_from(core_nick ? core_nick : "");
	const char *user = host->config(inst, "username");
	cfg->username = strdup(*user ? user : cfg->nick ? cfg->nick : "");
	cfg->realname = strdup(host->config(inst, "realname"));
	if (!cfg->nick || !cfg->username || !cfg->realname)
		return false;
	bool ok = true;
	if (!irc_nick_valid(cfg->nick, IRC_NICK_MAX)) {
		host->config_error(inst, "nick",
		                   "'%s' cannot be an IRC nick: letters, digits and []\\`_^{|}-, "
		                   "not starting with a digit or '-', at most %d bytes",
		                   cfg->nick, IRC_NICK_MAX);
		ok = false;
	}
	/* USER's user name is one word; the real name may be anything on one line. */
	bool word = true;
	for (const unsigned char *c = (const unsigned char *)cfg->username; *c; c++)
		word = word && *c > ' ' && *c != 0x7f && !strchr("@!:", *c);
	if (*user && !word) {
		host->config_error(inst, "username", "'%s' is no IRC user name: one word, no @ ! or :",
		                   cfg->username);
		ok = false;
	}
	irc_text_clean(cfg->realname, strlen(cfg->realname));
	return ok;
}

bool irc_config_load(struct irc_config *cfg, struct mqc_instance *inst,
                     const struct mqc_host *host, bool checking)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = strdup(host->config(inst, "host"));
	cfg->tls = host->config_bool(inst, "tls");
	bool ok = true;
	unsigned port = port_value(host->config(inst, "port"));
	if (port == UINT32_MAX) {
		host->config_error(inst, "port", "'%s' is not a port number from 1 to 65535",
		                   host->config(inst, "port"));
		ok = false;
	}
	cfg->port = port && port != UINT32_MAX ? port : cfg->tls ? 6697 : 6667;
	struct irc_tls_options *t = &cfg->tls_options;
	t->cafile = copy_or_null(host->config(inst, "cafile"));
	t->capath = copy_or_null(host->config(inst, "capath"));
	t->certfile = copy_or_null(host->config(inst, "certfile"));
	t->keyfile = copy_or_null(host->config(inst, "keyfile"));
	t->insecure = host->config_bool(inst, "tls_insecure");
	t->server_name = cfg->host;
	cfg->sasl = host->config_bool(inst, "sasl");
	cfg->keepalive_ms = (uint32_t)host->config_number(inst, "keepalive") * 1000;
	cfg->connect_timeout_ms = (uint32_t)host->config_number(inst, "connect_timeout") * 1000;
	cfg->reconnect_max_ms = (uint32_t)host->config_number(inst, "reconnect_max") * 1000;
	cfg->retry = host->config_bool(inst, "retry");
	if (!cfg->host || !*cfg->host) {
		host->config_error(inst, "host", "the server's host name is needed");
		ok = false;
	}
	ok = load_names(cfg, inst, host) && ok;
	ok = load_password(cfg, inst, host, checking) && ok;
	return check_files(inst, host, cfg) && ok;
}

void irc_config_free(struct irc_config *cfg)
{
	if (cfg->password) {
		/* Do not leave the secret lying around in freed memory. */
		explicit_bzero(cfg->password, strlen(cfg->password));
		free(cfg->password);
	}
	free(cfg->host);
	free((char *)cfg->tls_options.cafile);
	free((char *)cfg->tls_options.capath);
	free((char *)cfg->tls_options.certfile);
	free((char *)cfg->tls_options.keyfile);
	free(cfg->nick);
	free(cfg->username);
	free(cfg->realname);
	memset(cfg, 0, sizeof(*cfg));
}
