/* SPDX-License-Identifier: MIT */
/*
 * mqchat plugin helpers: the names of message types.
 *
 * The words mqchat uses for enum mqc_msg_type everywhere a type is shown or
 * chosen: the {type} field of a template, the exec plugin's MQCHAT_TYPE and
 * `types`, the syslog plugin's MQCHAT_TYPE journal field.  A plugin that
 * names types uses these, so a user meets one word for one type.
 *
 * Inline functions only: they add nothing to the ABI, and a plugin built
 * with them runs on any core of this major.  Include after or instead of
 * <mqchat/plugin.h>; it stands alone.
 */
#ifndef MQCHAT_MSG_TYPE_H
#define MQCHAT_MSG_TYPE_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "message", "action", "join", "leave" or "status"; "unknown" for a value
 * this header does not know (a type added by a newer minor).  Static
 * strings. */
static inline const char *mqc_msg_type_name(enum mqc_msg_type type)
{
	switch (type) {
	case MQC_MSG_MESSAGE: return "message";
	case MQC_MSG_ACTION: return "action";
	case MQC_MSG_JOIN: return "join";
	case MQC_MSG_LEAVE: return "leave";
	case MQC_MSG_STATUS: return "status";
	}
	return "unknown";
}

/* The type named `name` (one of mqc_msg_type_name()'s words, exactly) into
 * *type; false, *type untouched, for any other string or NULL. */
static inline bool mqc_msg_type_from_name(const char *name, enum mqc_msg_type *type)
{
	static const enum mqc_msg_type all[] = {MQC_MSG_MESSAGE, MQC_MSG_ACTION, MQC_MSG_JOIN,
	                                        MQC_MSG_LEAVE, MQC_MSG_STATUS};
	for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(name, mqc_msg_type_name(all[i])) == 0) {
			*type = all[i];
			return true;
		}
	}
	return false;
}

#ifdef __cplusplus
}
#endif

#endif /* MQCHAT_MSG_TYPE_H */
