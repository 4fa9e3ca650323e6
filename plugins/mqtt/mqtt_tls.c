/* SPDX-License-Identifier: MIT */
/* TLS to the broker: what to trust, the client certificate, the lowest
 * version, ALPN, and the loud way to switch verification off. */
#include "mqtt.h"

#include <stdbool.h>

/* mosquitto_tls_opts_set's cert_reqs, as OpenSSL numbers them. */
enum { MQTT_VERIFY_NONE = 0, MQTT_VERIFY_PEER = 1 };

/* Never let OpenSSL prompt on the terminal for a key passphrase: that would
 * block the loop.  Encrypted keys are not supported. */
static int mqtt_no_key_password(char *buf, int size, int rwflag, void *data)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)data;
	return 0;
}

/* Reports libmosquitto's refusal of `what` as an error in `key`; false. */
static bool mqtt_tls_refused(struct mqtt *self, const char *key, const char *what, int rc)
{
	self->host->config_error(self->inst, key, "libmosquitto refused %s: %s", what,
	                         mosquitto_strerror(rc));
	return false;
}

bool mqtt_tls_setup(struct mqtt *self)
{
	const struct mqtt_config *cfg = &self->cfg;
	if (!cfg->tls)
		return true;
	int rc;
	if (cfg->cafile || cfg->capath)
		rc = mosquitto_tls_set(self->mosq, cfg->cafile, cfg->capath, cfg->certfile,
		                       cfg->keyfile, mqtt_no_key_password);
	else /* No CA named: the system's, wherever OpenSSL finds them. */
		rc = mosquitto_int_option(self->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		return mqtt_tls_refused(self, "tls", "the TLS files", rc);
	rc = mosquitto_tls_opts_set(self->mosq, cfg->tls_insecure ? MQTT_VERIFY_NONE
	                                                          : MQTT_VERIFY_PEER,
	                            cfg->tls_version, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		return mqtt_tls_refused(self, "tls_version", "the TLS version", rc);
	if (cfg->alpn) {
		rc = mosquitto_string_option(self->mosq, MOSQ_OPT_TLS_ALPN, cfg->alpn);
		if (rc != MOSQ_ERR_SUCCESS)
			return mqtt_tls_refused(self, "alpn", "the ALPN protocol", rc);
	}
	if (cfg->tls_insecure) {
		mosquitto_tls_insecure_set(self->mosq, true);
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "tls_insecure = on: the broker's certificate and name are NOT "
		                "checked; anyone between here and the broker can read and change "
		                "the chat");
	}
	return true;
}
