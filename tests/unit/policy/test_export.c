/* policy_export_nats: the text for the example policy, and a real
 * nats-server that starts with it and enforces it. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "test.h"

extern char **environ;

static policy *load(const char *text)
{
    pst_diags d = PST_DIAGS_INIT;
    policy *p = text ? policy_load_string(text, strlen(text), "t.yaml", NULL, &d)
                     : policy_load_file("policy/examples/policy.yaml", NULL, &d);
    pst_diags_print(&d, stderr);
    pst_diags_free(&d);
    return p;
}

static const char EXAMPLE[] =
    "# NATS permissions for postern's own user, generated from policy/examples/policy.yaml.\n"
    "# Claim templates ({{ claims.* }}) are widened to '*' (any one token):\n"
    "# postern itself narrows them per request.\n"
    "# Replies arrive on _INBOX.>; postern publishes no replies itself.\n"
    "authorization {\n"
    "  users = [\n"
    "    {\n"
    "      user: \"postern\"\n"
    "      password: \"s3cret\"\n"
    "      permissions: {\n"
    "        publish: {\n"
    "          allow: [\"notify.*\", \"orders.get.*\", \"orders.list\", \"orders.place.*\", "
    "\"orders.search\"]\n"
    "          deny: [\"orders.place.internal\"]\n"
    "        }\n"
    "        subscribe: {\n"
    "          allow: [\"_INBOX.>\", \"orders.updated.*\"]\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

static void test_example_text(void)
{
    policy *p = load(NULL);
    CHECK(p != NULL);
    if (!p)
        return;
    pst_buf b = {0};
    CHECK(policy_export_nats(p, "postern", "s3cret", NULL, &b) == PST_OK);
    CHECK_STR(pst_buf_cstr(&b), EXAMPLE);
    pst_buf_free(&b);
    policy_unref(p);
}

static void test_denies_and_empty(void)
{
    /* a deny holds for the server only when no other role allows into it;
     * templated denies stay with postern; no publish allow denies all */
    policy *p = load("version: 1\nroles:\n"
                     "  a:\n    nats:\n"
                     "      subscribe: {allow: [\"x.>\"], deny: [x.secret, \"x.{{ claims.t }}\", "
                     "\"_INBOX.x\"]}\n"
                     "  b:\n    nats: {subscribe: {allow: [x.secret]}}\n"
                     "  c:\n    nats: {subscribe: {allow: [\"y.*\"], deny: [y.private]}}\n");
    CHECK(p != NULL);
    if (!p)
        return;
    pst_buf b = {0};
    CHECK(policy_export_nats(p, "u", "p\"w", "_R", &b) == PST_OK);
    const char *t = pst_buf_cstr(&b);
    CHECK(strstr(t, "# subscribe deny \"x.secret\" of role a is enforced by postern only: another "
                    "role allows subjects it covers: role b\n") != NULL);
    CHECK(strstr(t, "# subscribe deny \"x.{{ claims.t }}\" of role a is enforced by postern only: "
                    "it has a claim template\n") != NULL);
    CHECK(strstr(t, "# subscribe deny \"_INBOX.x\"") == NULL); /* prefix is _R here */
    CHECK(strstr(t, "        publish: {\n          deny: [\">\"]\n        }\n") != NULL);
    CHECK(strstr(t, "          allow: [\"_R.>\", \"x.>\", \"x.secret\", \"y.*\"]\n"
                    "          deny: [\"_INBOX.x\", \"y.private\"]\n") != NULL);
    CHECK(strstr(t, "password: \"p\\\"w\"\n") != NULL);
    pst_buf_free(&b);
    policy_unref(p);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Reads until `want` appears or 3 s pass; returns what was read. */
static const char *read_until(int fd, const char *want)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < 30 && !strstr(buf, want) && n < sizeof(buf) - 1; i++) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return buf;
}

static void send_str(int fd, const char *s)
{
    size_t n = strlen(s);
    CHECK(write(fd, s, n) == (ssize_t)n);
}

static void test_real_server(void)
{
    policy *p = load(NULL);
    if (!p)
        return;
    pst_buf b = {0};
    CHECK(policy_export_nats(p, "postern", "s3cret", NULL, &b) == PST_OK);
    char path[] = "/tmp/postern-policy-export-XXXXXX";
    int cfd = mkstemp(path);
    CHECK(cfd >= 0);
    if (cfd < 0)
        return;
    CHECK(write(cfd, b.p, b.len) == (ssize_t)b.len);
    close(cfd);
    pst_buf_free(&b);
    policy_unref(p);

    int port = free_port();
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    char *argv[] = {"nats-server", "-c", path, "-p", ports, "-a", "127.0.0.1", NULL};
    /* Debian installs it in /usr/sbin; NATS_SERVER overrides */
    const char *bins[] = {getenv("NATS_SERVER"), "/usr/sbin/nats-server", "/usr/bin/nats-server"};
    pid_t pid = 0;
    bool started = false;
    posix_spawn_file_actions_t fa; /* keep the server's log out of the test output */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (size_t i = 0; i < 3 && !started; i++)
        started = bins[i] && access(bins[i], X_OK) == 0 &&
                  posix_spawn(&pid, bins[i], &fa, NULL, argv, environ) == 0 && pid > 0;
    posix_spawn_file_actions_destroy(&fa);
    CHECK(started);
    if (!started) {
        unlink(path);
        return;
    }
    int fd = -1;
    for (int i = 0; i < 50 && fd < 0; i++) { /* up to 5 s */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        fd = connect_port(port);
    }
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(strstr(read_until(fd, "\r\n"), "INFO ") != NULL);
        send_str(fd, "CONNECT {\"user\":\"postern\",\"pass\":\"s3cret\",\"verbose\":false}\r\n"
                     "PUB orders.get.1 0\r\n\r\nSUB orders.updated.1 1\r\nPING\r\n");
        const char *r = read_until(fd, "PONG");
        CHECK(strstr(r, "PONG") != NULL);
        CHECK(strstr(r, "-ERR") == NULL);
        send_str(fd, "PUB orders.place.internal 0\r\n\r\nPING\r\n");
        r = read_until(fd, "PONG");
        CHECK(strstr(r, "Permissions Violation for Publish to \"orders.place.internal\"") != NULL);
        send_str(fd, "SUB orders.get.1 2\r\nPING\r\n");
        r = read_until(fd, "PONG");
        CHECK(strstr(r, "Permissions Violation for Subscription to \"orders.get.1\"") != NULL);
        close(fd);
    }
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (i == 49) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    unlink(path);
}

int main(void)
{
    test_example_text();
    test_denies_and_empty();
    test_real_server();
    TEST_END();
}
