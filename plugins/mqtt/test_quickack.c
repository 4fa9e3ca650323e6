/* SPDX-License-Identifier: MIT */
/* When TCP's ACK of a read is asked for at once (mqtt_quickack.c), and
 * what the kernel does meanwhile, on a real loopback connection. */
#include <check.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_net.h"
#include "check_run.h"
#include "mqtt_quickack.h"

static int ours = -1, broker = -1;
static struct mqtt_quickack quickack;

/* `ours` connected to `broker` over loopback. */
static void setup(void)
{
	struct sockaddr_in addr;
	int listener = loopback_listener(&addr);
	ours = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(ours, (struct sockaddr *)&addr, sizeof addr), 0);
	broker = accept(listener, NULL, NULL);
	ck_assert_int_ge(broker, 0);
	close(listener);
	quickack = (struct mqtt_quickack){0};
	mqtt_quickack_wrote(&quickack); /* a new connection */
}

static void teardown(void)
{
	close(ours);
	close(broker);
}

/* The broker sends a small segment and we read it. */
static void read_one(void)
{
	char buf[16];
	ck_assert_int_eq(send(broker, "message", 7, 0), 7);
	ck_assert_int_eq(recv(ours, buf, sizeof buf, 0), 7);
}

/* Whether the kernel ACKs at once what we read (not in its exchange
 * mode, where ACKs wait for our next packet). */
static int kernel_acks_at_once(void)
{
	int on = -1;
	socklen_t len = sizeof on;
	ck_assert_int_eq(getsockopt(ours, IPPROTO_TCP, TCP_QUICKACK, &on, &len), 0);
	return on;
}

START_TEST(a_new_connection_asks_for_its_first_ack)
{
	read_one();
	ck_assert(mqtt_quickack_now(&quickack, ours, false));
	ck_assert_int_eq(kernel_acks_at_once(), 1);
}
END_TEST

START_TEST(reads_alone_leave_the_kernel_acking_at_once_unasked)
{
	read_one();
	ck_assert(mqtt_quickack_now(&quickack, ours, false));
	for (int i = 0; i < 50; i++) {
		read_one();
		ck_assert(!mqtt_quickack_now(&quickack, ours, false));
		ck_assert_int_eq(kernel_acks_at_once(), 1);
	}
}
END_TEST

START_TEST(a_write_of_ours_has_it_asked_again)
{
	read_one();
	ck_assert(mqtt_quickack_now(&quickack, ours, false));
	read_one();
	ck_assert_int_eq(send(ours, "puback", 6, 0), 6);
	mqtt_quickack_wrote(&quickack);
	read_one();
	ck_assert(mqtt_quickack_now(&quickack, ours, false));
	ck_assert_int_eq(kernel_acks_at_once(), 1);
	read_one();
	ck_assert(!mqtt_quickack_now(&quickack, ours, false));
}
END_TEST

START_TEST(over_tls_every_read_asks)
{
	for (int i = 0; i < 3; i++) {
		read_one();
		ck_assert(mqtt_quickack_now(&quickack, ours, true));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_quickack");
	TCase *tc = tcase_create("quickack");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_new_connection_asks_for_its_first_ack);
	tcase_add_test(tc, reads_alone_leave_the_kernel_acking_at_once_unasked);
	tcase_add_test(tc, a_write_of_ours_has_it_asked_again);
	tcase_add_test(tc, over_tls_every_read_asks);
	suite_add_tcase(s, tc);
	return check_run(s);
}
