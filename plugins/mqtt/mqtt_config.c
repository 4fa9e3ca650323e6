/* SPDX-License-Identifier: MIT */
#include "mqtt_config.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqtt_topic.h"
#include "secret_file.h"

#define SECONDS(lo, hi) .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = lo, .max = hi

/* Words as the rest of the plugin spells them, in the order
 * host->config_word() counts them. */
static const char *const wire_names[] = {"plain", "json", NULL};
static const char *const session_names[] = {"persistent", "clean", NULL};
static const char *const tls_version_names[] = {"tlsv1.2", "tlsv1.3", NULL};
static const char *const protocol_names[] = {"5", "5.0", "3.1.1", NULL};
static const char *const hosts_order_names[] = {"listed", "random", NULL};
#define PROTOCOL_3_1_1 2

const struct mqc_key mqtt_config_keys[] = {
	{.name = "host", .def = "localhost", .help = "broker host name or address"},
	{.name = "port", .def = "1883", .help = "broker TCP port",
	 .type = MQC_KEY_NUMBER, .min = 1, .max = 65535},
	{.name = "topic", .def = "conversacionTeletubbies",
	 .help = "topic the room lives on (no wildcards)"},
	{.name = "qos", .def = "1", .help = "MQTT QoS for sending and subscribing: 0, 1 or 2",
	 .type = MQC_KEY_NUMBER, .min = 0, .max = 2},
	{.name = "wire", .def = "plain",
	 .help = "payload format sent: plain | json (both are understood on receipt)",
	 .type = MQC_KEY_WORD, .words = wire_names},
	{.name = "keepalive", .def = "60", .help = "MQTT keepalive in seconds (5-65535)",
	 SECONDS(5, 65535)}, /* libmosquitto refuses keepalives under 5 s */
	{.name = "client_id",
	 .help = "MQTT client id; default: stable per configuration, distinct per running "
	         "instance"},
	{.name = "session", .def = "persistent",
	 .help = "persistent: the broker keeps what is sent to the room while we are away | "
	         "clean",
	 .type = MQC_KEY_WORD, .words = session_names},
	{.name = "session_expiry", .def = "86400",
	 .help = "seconds the broker keeps a persistent session after we left (MQTT 5; "
	         "0-4294967295)",
	 SECONDS(0, UINT32_MAX)},
	{.name = "will", .def = "on",
	 .help = "on: the broker sends our leave message if we vanish without saying goodbye "
	         "(Last Will)",
	 .type = MQC_KEY_BOOL},
	{.name = "username", .help = "user name for the broker"},
	{.name = "password_file", .flags = MQC_KEY_PATH,
	 .help = "file whose first line is the password"},
	{.name = "tls", .def = "off",
	 .help = "on: TLS, verifying the broker against cafile/capath, else the system's CAs",
	 .type = MQC_KEY_BOOL},
	{.name = "cafile", .flags = MQC_KEY_PATH,
	 .help = "CA certificate(s) to verify the broker with (PEM)"},
	{.name = "capath", .flags = MQC_KEY_PATH, .help = "directory of hashed CA certificates"},
	{.name = "certfile", .flags = MQC_KEY_PATH,
	 .help = "client certificate (PEM), with keyfile"},
	{.name = "keyfile", .flags = MQC_KEY_PATH,
	 .help = "client private key (PEM, unencrypted), with certfile"},
	{.name = "tls_insecure", .def = "off",
	 .help = "on: accept any broker certificate and name (testing only: warns at each "
	         "start)",
	 .type = MQC_KEY_BOOL},
	{.name = "tls_version",
	 .help = "lowest TLS version accepted: tlsv1.2 | tlsv1.3; empty: tlsv1.2",
	 .type = MQC_KEY_WORD, .words = tls_version_names},
	{.name = "alpn", .help = "ALPN protocol name offered in the TLS handshake"},
	{.name = "protocol", .def = "5", .help = "MQTT protocol version: 5 | 3.1.1",
	 .type = MQC_KEY_WORD, .words = protocol_names},
	{.name = "connect_timeout", .def = "10", .help = "seconds one connection attempt may take",
	 SECONDS(1, 3600)},
	{.name = "retry", .def = "off",
	 .help = "on: keep retrying when the broker is unreachable at start instead of exiting 69",
	 .type = MQC_KEY_BOOL},
	{.name = "reconnect_max", .def = "30",
	 .help = "longest wait between reconnection attempts, seconds (backoff 1, 2, 4, ...)",
	 SECONDS(1, 3600)},
	{.name = "presence", .def = "on",
	 .help = "on: say in each room that we are here (retained, with a Last Will), and "
	         "follow who else is",
	 .type = MQC_KEY_BOOL},
	{.name = "will_delay", .def = "5",
	 .help = "seconds the broker waits before saying we are gone, so a quick reconnect "
	         "does not flap (MQTT 5)",
	 SECONDS(0, 86400)},
	{.name = "verify", .def = "off",
	 .help = "on: senders are proved by the broker's ACLs (messages under ROOM/u/USERNAME)",
	 .type = MQC_KEY_BOOL},
	{.name = "history_service", .def = "off",
	 .help = "on: answer other clients' history requests from our history (MQTT 5)",
	 .type = MQC_KEY_BOOL},
	{.name = "share",
	 .help = "GROUP: subscribe to the rooms through $share/GROUP/, so a pool of loggers "
	         "gets each message once"},
	{.name = "hosts",
	 .help = "brokers tried in turn, e.g. \"a:1883 b:1883\": on failure the next at once "
	         "(overrides host and port; PORT defaults to port)"},
	{.name = "hosts_order", .def = "listed",
	 .help = "listed: the first host first | random: shuffled at each start, so clients "
	         "spread",
	 .type = MQC_KEY_WORD, .words = hosts_order_names},
	{.name = NULL},
};

struct config_reader {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	bool ok;
	/* check(): the rules between keys and the files they name, once; open()
	 * comes after it and takes them for granted. */
	bool checking;
};

static const char *config_value(struct config_reader *r, const char *key)
{
	const char *v = r->host->config(r->inst, key);
	return v ? v : "";
}

/* NULL for an empty value, else a copy. */
static char *config_optional(struct config_reader *r, const char *key)
{
	const char *v = config_value(r, key);
	return *v ? strdup(v) : NULL;
}

static int config_int(struct config_reader *r, const char *key)
{
	return (int)r->host->config_number(r->inst, key);
}

static bool config_bool(struct config_reader *r, const char *key)
{
	return r->host->config_bool(r->inst, key);
}

/* A file (or with `dir`, a directory) we can read: anything else would
 * pass here and fail only at the TLS handshake, as a "TLS error". */
static void config_check_readable(struct config_reader *r, const char *key, const char *path,
                                  bool dir)
{
	const char *problem = path ? readable_problem(path, dir) : NULL;
	if (problem) {
		r->host->config_error(r->inst, key, "cannot read %s: %s", path, problem);
		r->ok = false;
	}
}

/* The first line of password_file.  The file should be private: warn (not
 * refuse) when others can read it. */
static char *config_read_password(struct config_reader *r, const char *path)
{
	bool others_read;
	const char *why = NULL;
	char *line = secret_file_read(path, &others_read, &why);
	if (!line) {
		r->host->config_error(r->inst, "password_file", "cannot read %s: %s", path, why);
		r->ok = false;
		return NULL;
	}
	if (r->checking && others_read)
		r->host->log(r->inst, MQC_LOG_WARNING,
		             "password_file %s is readable by others: chmod o-r it", path);
	return line;
}

/* An ALPN protocol name: 1 to 255 bytes of printable ASCII. */
static bool config_alpn_ok(const char *alpn)
{
	size_t len = strlen(alpn);
	for (size_t i = 0; i < len; i++)
		if (alpn[i] <= ' ' || alpn[i] > '~')
			return false;
	return len <= 255;
}

static void config_check_tls_values(struct config_reader *r, struct mqtt_config *cfg)
{
	if (!cfg->certfile != !cfg->keyfile) {
		r->host->config_error(r->inst, cfg->certfile ? "keyfile" : "certfile",
		                      "certfile and keyfile go together; give both or neither");
		r->ok = false;
	}
	if (cfg->certfile && !cfg->cafile && !cfg->capath) {
		/* libmosquitto 2.0 loads a client certificate only together with
		 * an explicit CA. */
		r->host->config_error(r->inst, "certfile",
		                      "a client certificate needs cafile or capath too; to trust "
		                      "the system's CAs add cafile = /etc/ssl/certs/ca-certificates.crt");
		r->ok = false;
	}
	if (cfg->alpn && !config_alpn_ok(cfg->alpn)) {
		r->host->config_error(r->inst, "alpn", "'%s' is not a protocol name (1 to 255 "
		                      "printable characters, no spaces), e.g. mqtt", cfg->alpn);
		r->ok = false;
	}
	config_check_readable(r, "cafile", cfg->cafile, false);
	config_check_readable(r, "capath", cfg->capath, true);
	config_check_readable(r, "certfile", cfg->certfile, false);
	config_check_readable(r, "keyfile", cfg->keyfile, false);
}

static void config_load_tls(struct config_reader *r, struct mqtt_config *cfg)
{
	static const char *const names[] = {"cafile", "capath", "certfile", "keyfile",
	                                    "tls_version", "alpn"};
	char **values[] = {&cfg->cafile, &cfg->capath, &cfg->certfile, &cfg->keyfile,
	                   &cfg->tls_version, &cfg->alpn};
	size_t n = sizeof(names) / sizeof(names[0]);
	cfg->tls = config_bool(r, "tls");
	cfg->tls_insecure = config_bool(r, "tls_insecure");
	for (size_t i = 0; i < n; i++)
		*values[i] = config_optional(r, names[i]);
	/* The version as libmosquitto spells it, whatever the case written. */
	int version = r->host->config_word(r->inst, "tls_version");
	if (version >= 0) {
		free(cfg->tls_version);
		cfg->tls_version = strdup(tls_version_names[version]);
	}
	if (!r->checking)
		return;
	if (cfg->tls) {
		config_check_tls_values(r, cfg);
		return;
	}
	/* Never fall back to cleartext when TLS was asked for in any way:
	 * that is how passwords leak (mosquitto #776). */
	for (size_t i = 0; i < n; i++) {
		if (*values[i]) {
			r->host->config_error(r->inst, names[i],
			                      "given while tls = off; set tls = on (or remove it)");
			r->ok = false;
		}
	}
	if (cfg->tls_insecure) {
		r->host->config_error(r->inst, "tls_insecure",
		                      "on while tls = off; set tls = on (or remove it)");
		r->ok = false;
	}
}

static void config_load_session(struct config_reader *r, struct mqtt_config *cfg)
{
	cfg->session_clean = r->host->config_word(r->inst, "session") == 1;
	cfg->session_expiry = (uint32_t)r->host->config_number(r->inst, "session_expiry");
	cfg->will = config_bool(r, "will");
	cfg->protocol = r->host->config_word(r->inst, "protocol") == PROTOCOL_3_1_1
	                        ? MQTT_PROTOCOL_V311
	                        : MQTT_PROTOCOL_V5;
}

static void config_load_identity(struct config_reader *r, struct mqtt_config *cfg)
{
	cfg->client_id = config_optional(r, "client_id");
	if (r->checking && cfg->client_id && mosquitto_validate_utf8(cfg->client_id,
	                                              (int)strlen(cfg->client_id))) {
		r->host->config_error(r->inst, "client_id", "is not valid UTF-8");
		r->ok = false;
	}
	cfg->username = config_optional(r, "username");
	const char *pwfile = config_value(r, "password_file");
	if (*pwfile)
		cfg->password = config_read_password(r, pwfile);
	if (r->checking && cfg->password && !cfg->username &&
	    cfg->protocol == MQTT_PROTOCOL_V311) {
		r->host->config_error(r->inst, "password_file",
		                      "MQTT 3.1.1 sends a password only with a user name; set username");
		r->ok = false;
	}
}

/* The first room's topic (mqtt_topic.c says what a room's topic must be). */
static void config_check_topic(struct config_reader *r, const char *topic)
{
	bool quotable;
	const char *problem = mqtt_topic_problem(topic, &quotable);
	if (!problem)
		return;
	if (quotable)
		r->host->config_error(r->inst, "topic", "'%s' %s", topic, problem);
	else
		r->host->config_error(r->inst, "topic", "%s", problem);
	r->ok = false;
}

/* A share group is one topic level: no '/', '+' or '#'. */
static void config_load_rooms(struct config_reader *r, struct mqtt_config *cfg)
{
	cfg->presence = config_bool(r, "presence");
	cfg->will_delay = (uint32_t)r->host->config_number(r->inst, "will_delay");
	cfg->verify = config_bool(r, "verify");
	cfg->history_service = config_bool(r, "history_service");
	cfg->share = config_optional(r, "share");
	if (!r->checking)
		return;
	if (cfg->share && strpbrk(cfg->share, "/+#")) {
		r->host->config_error(r->inst, "share", "'%s' is not a group name: no '/', '+' "
		                      "or '#'", cfg->share);
		r->ok = false;
	}
	if (cfg->verify && !cfg->username) {
		r->host->config_error(r->inst, "verify", "on needs username: the broker proves "
		                      "senders by the name they log in with");
		r->ok = false;
	}
	if (cfg->history_service && cfg->protocol != MQTT_PROTOCOL_V5) {
		r->host->config_error(r->inst, "history_service", "on needs protocol 5 (requests "
		                      "carry a response topic)");
		r->ok = false;
	}
}

/* `hosts`, else `host` and `port`.  False when out of memory, or after
 * config_error() (r->ok false) when the list is wrong. */
static bool config_load_brokers(struct config_reader *r, struct mqtt_config *cfg)
{
	int port = config_int(r, "port");
	const char *hosts = config_value(r, "hosts");
	cfg->hosts_random = r->host->config_word(r->inst, "hosts_order") == 1;
	if (*hosts) {
		char why[160];
		if (!mqtt_hosts_parse(&cfg->brokers, hosts, port, why, sizeof(why)))
			return true;
		r->host->config_error(r->inst, "hosts", "%s", why);
		r->ok = false;
		return false;
	}
	const char *name = config_value(r, "host");
	if (r->checking && !*name) {
		r->host->config_error(r->inst, "host", "is empty; name the broker, e.g. localhost");
		r->ok = false;
	}
	return mqtt_hosts_single(&cfg->brokers, name, port);
}

static bool config_read(struct mqtt_config *cfg, struct mqc_instance *inst,
                        const struct mqc_host *host, bool checking)
{
	struct config_reader r = {inst, host, true, checking};
	memset(cfg, 0, sizeof(*cfg));

	cfg->topic = strdup(config_value(&r, "topic"));
	cfg->wire = strdup(wire_names[host->config_word(inst, "wire")]);
	if (!cfg->topic || !cfg->wire || !config_load_brokers(&r, cfg)) {
		if (r.ok)
			host->log(inst, MQC_LOG_ERROR, "out of memory");
		mqtt_config_free(cfg);
		return false;
	}
	if (checking)
		config_check_topic(&r, cfg->topic);
	cfg->qos = config_int(&r, "qos");
	cfg->keepalive = config_int(&r, "keepalive");
	config_load_session(&r, cfg);
	config_load_identity(&r, cfg);
	config_load_tls(&r, cfg);
	cfg->connect_timeout = config_int(&r, "connect_timeout");
	cfg->retry = config_bool(&r, "retry");
	cfg->reconnect_max = config_int(&r, "reconnect_max");
	config_load_rooms(&r, cfg);

	if (!r.ok)
		mqtt_config_free(cfg);
	return r.ok;
}

bool mqtt_config_load(struct mqtt_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host)
{
	return config_read(cfg, inst, host, false);
}

bool mqtt_config_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct mqtt_config cfg;
	if (!config_read(&cfg, inst, host, true))
		return false;
	mqtt_config_free(&cfg);
	return true;
}

void mqtt_config_free(struct mqtt_config *cfg)
{
	if (cfg->password) {
		/* Do not leave the secret lying around in freed memory. */
		explicit_bzero(cfg->password, strlen(cfg->password));
		free(cfg->password);
	}
	mqtt_hosts_free(&cfg->brokers);
	free(cfg->topic);
	free(cfg->wire);
	free(cfg->client_id);
	free(cfg->username);
	free(cfg->cafile);
	free(cfg->capath);
	free(cfg->certfile);
	free(cfg->keyfile);
	free(cfg->tls_version);
	free(cfg->alpn);
	free(cfg->share);
	memset(cfg, 0, sizeof(*cfg));
}
