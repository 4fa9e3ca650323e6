/* SPDX-License-Identifier: MIT */
/* The default MQTT client id: stable across restarts of one configuration,
 * distinct between instances running at the same time. */
#ifndef MQTT_CLIENT_ID_H
#define MQTT_CLIENT_ID_H

#include <mqchat/plugin.h>

#include "mqtt_config.h"

/* Returns a malloc'ed id "mqchat-<hash>-<slot>".  *lock_fd receives the
 * descriptor of the slot's lock file (-1 when locking was impossible, then
 * the id is per process); keep it open as long as the id is in use. */
char *mqtt_client_id_default(struct mqc_instance *inst,
                             const struct mqc_host *host,
                             const struct mqtt_config *cfg, int *lock_fd);

#endif
