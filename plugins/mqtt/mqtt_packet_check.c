/* SPDX-License-Identifier: MIT */
#include "mqtt_packet_check.h"

#include <stdarg.h>
#include <stdio.h>

/* The packet types a broker sends a client, by the high nibble. */
static const char *const packet_names[16] = {
	[2] = "CONNACK", [3] = "PUBLISH", [4] = "PUBACK", [5] = "PUBREC", [6] = "PUBREL",
	[7] = "PUBCOMP", [9] = "SUBACK", [11] = "UNSUBACK", [13] = "PINGRESP",
	[14] = "DISCONNECT", [15] = "AUTH",
};

/* How an MQTT 5 property's value is laid out, by identifier (0: unknown). */
enum prop_kind { PROP_NONE, PROP_BYTE, PROP_INT16, PROP_INT32, PROP_VARINT, PROP_BLOB, PROP_PAIR };

static const unsigned char prop_kinds[43] = {
	[1] = PROP_BYTE, [2] = PROP_INT32, [3] = PROP_BLOB, [8] = PROP_BLOB, [9] = PROP_BLOB,
	[11] = PROP_VARINT, [17] = PROP_INT32, [18] = PROP_BLOB, [19] = PROP_INT16,
	[21] = PROP_BLOB, [22] = PROP_BLOB, [23] = PROP_BYTE, [24] = PROP_INT32,
	[25] = PROP_BYTE, [26] = PROP_BLOB, [28] = PROP_BLOB, [31] = PROP_BLOB,
	[33] = PROP_INT16, [34] = PROP_INT16, [35] = PROP_INT16, [36] = PROP_BYTE,
	[37] = PROP_BYTE, [38] = PROP_PAIR, [39] = PROP_INT32, [40] = PROP_BYTE,
	[41] = PROP_BYTE, [42] = PROP_BYTE,
};

struct reader {
	const uint8_t *data;
	size_t len;  /* bytes that have arrived */
	char *why;
	size_t why_size;
	const char *name; /* the packet type */
};

/* Describes a malformed packet in `why`; MQTT_CHECK_BAD. */
static enum mqtt_check bad(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum mqtt_check bad(struct reader *r, const char *fmt, ...)
{
	char detail[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	snprintf(r->why, r->why_size, "malformed %s (%s)", r->name, detail);
	return MQTT_CHECK_BAD;
}

/* A variable byte integer at `at`: its value and length (1-4), 0 if more
 * bytes are needed, -1 if it runs past 4 bytes. */
static int read_varint(const struct reader *r, size_t at, uint32_t *value)
{
	*value = 0;
	for (int i = 0; i < 4; i++) {
		if (at + (size_t)i >= r->len)
			return 0;
		uint8_t byte = r->data[at + (size_t)i];
		*value |= (uint32_t)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80))
			return i + 1;
	}
	return -1;
}

/* The big-endian two-byte integer at `at`. */
static uint16_t read_u16(const struct reader *r, size_t at)
{
	return (uint16_t)(r->data[at] << 8 | r->data[at + 1]);
}

/* Length of one property's value at `at`, which ends before `end`; 0 if
 * it runs past `end`. */
static size_t prop_value_len(const struct reader *r, enum prop_kind kind, size_t at,
                             size_t end)
{
	static const size_t fixed[] = {[PROP_BYTE] = 1, [PROP_INT16] = 2, [PROP_INT32] = 4};
	size_t len = 0;
	if (kind == PROP_VARINT) {
		uint32_t v;
		int n = read_varint(r, at, &v);
		return n > 0 && at + (size_t)n <= end ? (size_t)n : 0;
	}
	if (kind != PROP_BLOB && kind != PROP_PAIR)
		return at + fixed[kind] <= end ? fixed[kind] : 0;
	for (int part = 0; part < (kind == PROP_PAIR ? 2 : 1); part++) {
		if (at + len + 2 > end)
			return 0;
		len += 2u + read_u16(r, at + len);
	}
	return at + len <= end ? len : 0;
}

/* The property section at `at` of a packet whose body ends at `end`. */
static enum mqtt_check check_properties(struct reader *r, size_t at, size_t end, size_t *size)
{
	if (at >= end)
		return MQTT_CHECK_OK; /* none: libmosquitto judges that itself */
	uint32_t proplen;
	int n = read_varint(r, at, &proplen);
	if (n < 0)
		return bad(r, "property length longer than 4 bytes");
	if (n == 0) {
		*size = at + 4;
		return MQTT_CHECK_MORE;
	}
	at += (size_t)n;
	if (proplen > end - at)
		return bad(r, "property length %lu, larger than the %zu bytes left in the packet",
		           (unsigned long)proplen, end - at);
	size_t props_end = at + proplen;
	if (props_end > r->len) {
		*size = props_end;
		return MQTT_CHECK_MORE;
	}
	while (at < props_end) {
		uint8_t id = r->data[at];
		enum prop_kind kind = id < sizeof(prop_kinds) ? prop_kinds[id] : PROP_NONE;
		if (kind == PROP_NONE)
			return bad(r, "unknown property 0x%02x", id);
		size_t vlen = prop_value_len(r, kind, at + 1, props_end);
		if (!vlen)
			return bad(r, "property 0x%02x runs past the end of its section", id);
		at += 1 + vlen;
	}
	return MQTT_CHECK_OK;
}

/* Where the property section starts in the body of a packet of `type`
 * (the fixed header's first byte), given its first bytes; 0 for none. */
static size_t properties_offset(struct reader *r, uint8_t first, size_t body, size_t body_len,
                                bool *more)
{
	switch (first >> 4) {
	case 2: /* CONNACK: flags, reason code */
	case 9: /* SUBACK, UNSUBACK: packet id */
	case 11:
		return 2;
	case 3: { /* PUBLISH: topic, packet id from QoS 1 on */
		if (body + 2 > r->len) {
			*more = true;
			return 0;
		}
		size_t at = 2u + read_u16(r, body) + (((first >> 1) & 3) ? 2u : 0u);
		return at < body_len ? at : body_len;
	}
	case 4: /* PUBACK ... PUBCOMP: packet id, reason code */
	case 5:
	case 6:
	case 7:
		return 3;
	case 14: /* DISCONNECT, AUTH: reason code */
	case 15:
		return 1;
	default:
		return body_len;
	}
}

enum mqtt_check mqtt_packet_check(const uint8_t *data, size_t len, bool v5, size_t *size,
                                  char *why, size_t why_size)
{
	struct reader r = {data, len, why, why_size, packet_names[data[0] >> 4]};
	if (!r.name) {
		r.name = "packet";
		return bad(&r, "type %u, which no broker sends", data[0] >> 4);
	}
	if ((data[0] >> 4) == 3 && ((data[0] >> 1) & 3) == 3)
		return bad(&r, "QoS 3");
	uint32_t body_len;
	int n = read_varint(&r, 1, &body_len);
	if (n < 0)
		return bad(&r, "remaining length longer than 4 bytes");
	if (n == 0) {
		*size = 5;
		return MQTT_CHECK_MORE;
	}
	size_t body = 1u + (size_t)n, end = body + body_len;
	*size = end;
	if (!v5)
		return MQTT_CHECK_OK;
	bool more = false;
	size_t at = properties_offset(&r, data[0], body, body_len, &more);
	if (more) {
		*size = body + 2;
		return MQTT_CHECK_MORE;
	}
	enum mqtt_check result = check_properties(&r, body + at, end, size);
	if (result == MQTT_CHECK_OK)
		*size = end;
	return result;
}
