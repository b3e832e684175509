/* sidecar-injector: a mutating admission webhook (AdmissionReview v1 over HTTPS) that adds a sidecar container to pods.
 *   sidecar-injector -c cert.pem -k key.pem [-p port] [-l address] [-i image]
 * POST /mutate answers allowed:true with a JSONPatch appending container "skiff-sidecar" (image from -i, else $SIDECAR_IMAGE,
 * else 127.0.0.1:5000/skiff/shell:1)
 * unless the pod already has it; GET /healthz answers "ok". One process per connection, HTTP/1.1 keep-alive (the API server
 * reuses connections), bodies by Content-Length or chunked, read however the bytes arrive. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_HEADER 65536
#define MAX_BODY (8 * 1024 * 1024)
#define SIDECAR "skiff-sidecar"

static const char *image;

/* As PID 1 in a container, SIGTERM has no default action: end at once instead of sitting out the grace period. */
static void on_term(int sig) { (void)sig; _exit(0); }

/* A byte buffer that grows; holds what was read and not yet consumed (keep-alive requests may arrive back to back). */
typedef struct { char *data; size_t len, cap; } buf_t;

static int buf_reserve(buf_t *b, size_t more) {
    if (b->len + more + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p; b->cap = cap;
    return 0;
}

static int buf_append(buf_t *b, const char *s, size_t n) {
    if (buf_reserve(b, n)) return -1;
    memcpy(b->data + b->len, s, n); b->len += n; b->data[b->len] = 0;
    return 0;
}

static void buf_consume(buf_t *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n); b->len -= n; b->data[b->len] = 0;
}

/* Reads more bytes from the TLS connection into b; 0 at end of stream or error. */
static int fill(SSL *ssl, buf_t *b) {
    if (buf_reserve(b, 16384)) return 0;
    int n = SSL_read(ssl, b->data + b->len, 16384);
    if (n <= 0) return 0;
    b->len += (size_t)n; b->data[b->len] = 0;
    return 1;
}

static int write_all(SSL *ssl, const char *s, size_t n) {
    while (n > 0) {
        int w = SSL_write(ssl, s, n > 65536 ? 65536 : (int)n);
        if (w <= 0) return -1;
        s += w; n -= (size_t)w;
    }
    return 0;
}

static int respond(SSL *ssl, int code, const char *reason, const char *type, const char *body, int keep) {
    char head[256];
    size_t len = strlen(body);
    int h = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
                     code, reason, type, len, keep ? "keep-alive" : "close");
    return write_all(ssl, head, (size_t)h) || write_all(ssl, body, len) ? -1 : 0;
}

/* --- a minimal JSON walker: enough to find request.uid and request.object.spec.containers[*].name --- */
static const char *ws(const char *p, const char *end) { while (p < end && isspace((unsigned char)*p)) p++; return p; }

static const char *skip_string(const char *p, const char *end) { /* p at the opening quote; returns past the closing one */
    for (p++; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end, int depth) {
    p = ws(p, end);
    if (p >= end || depth > 64) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= end || *p != '"' || !(p = skip_string(p, end))) return NULL;
                p = ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p++;
            }
            if (!(p = skip_value(p, end, depth + 1))) return NULL;
            p = ws(p, end);
            if (p < end && *p == ',') { p = ws(p + 1, end); continue; }
            if (p < end && *p == close) return p + 1;
            return NULL;
        }
    }
    while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.')) p++;
    return p;
}

/* In the object starting at p, the value of key (a plain key without escapes), or NULL. */
static const char *member(const char *p, const char *end, const char *key) {
    size_t klen = strlen(key);
    p = ws(p, end);
    if (!p || p >= end || *p != '{') return NULL;
    p = ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *kend = skip_string(p, end);
        if (!kend) return NULL;
        int match = (size_t)(kend - p - 2) == klen && memcmp(p + 1, key, klen) == 0;
        p = ws(kend, end);
        if (p >= end || *p != ':') return NULL;
        p = ws(p + 1, end);
        if (match) return p;
        if (!(p = skip_value(p, end, 0))) return NULL;
        p = ws(p, end);
        if (p < end && *p == ',') p = ws(p + 1, end);
    }
    return NULL;
}

/* Whether the pod in request.object already has the sidecar (a webhook may be called again: reinvocationPolicy). */
static int has_sidecar(const char *request, const char *end) {
    const char *obj = member(request, end, "object");
    const char *spec = obj ? member(obj, end, "spec") : NULL;
    const char *list = spec ? member(spec, end, "containers") : NULL;
    if (!list || *list != '[') return 0;
    const char *p = ws(list + 1, end);
    while (p && p < end && *p == '{') {
        const char *name = member(p, end, "name");
        if (name && *name == '"' && strncmp(name, "\"" SIDECAR "\"", strlen(SIDECAR) + 2) == 0) return 1;
        if (!(p = skip_value(p, end, 0))) return 0;
        p = ws(p, end);
        if (p < end && *p == ',') p = ws(p + 1, end);
    }
    return 0;
}

static int handle_mutate(SSL *ssl, const char *body, size_t len, int keep) {
    const char *end = body + len;
    const char *request = member(body, end, "request");
    const char *uid = request ? member(request, end, "uid") : NULL;
    const char *uid_end = uid && *uid == '"' ? skip_string(uid, end) : NULL;
    if (!uid_end) {
        fprintf(stderr, "sidecar-injector: the body is not an AdmissionReview with request.uid\n");
        return respond(ssl, 400, "Bad Request", "text/plain", "expected an AdmissionReview v1 with request.uid\n", keep);
    }
    int inject = !has_sidecar(request, end);
    char patch[1024], encoded[1400], *out = NULL;
    int plen = snprintf(patch, sizeof patch,
        "[{\"op\":\"add\",\"path\":\"/spec/containers/-\",\"value\":{\"name\":\"" SIDECAR "\",\"image\":\"%s\","
        "\"command\":[\"sh\",\"-c\",\"trap 'exit 0' TERM; while true; do sleep 1; done\"]}}]", image);
    EVP_EncodeBlock((unsigned char *)encoded, (const unsigned char *)patch, plen);
    size_t cap = (size_t)(uid_end - uid) + sizeof encoded + 256;
    if (!(out = malloc(cap))) return -1;
    /* uid_end - uid includes both quotes: the uid is echoed exactly as sent (already a valid JSON string). */
    if (inject)
        snprintf(out, cap, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":%.*s,"
                 "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"%s\"}}", (int)(uid_end - uid), uid, encoded);
    else
        snprintf(out, cap, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":%.*s,"
                 "\"allowed\":true}}", (int)(uid_end - uid), uid);
    fprintf(stderr, "sidecar-injector: request %.*s: %s\n", (int)(uid_end - uid), uid, inject ? "injected " SIDECAR : "already has " SIDECAR);
    int r = respond(ssl, 200, "OK", "application/json", out, keep);
    free(out);
    return r;
}

/* The value of a header in the head (case-insensitive name), copied into value; 0 if absent. */
static int header(const char *head, const char *name, char *value, size_t size) {
    size_t nlen = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, nlen) == 0 && l[nlen] == ':') {
            const char *v = l + nlen + 1, *e = strstr(v, "\r\n");
            while (v < e && (*v == ' ' || *v == '\t')) v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
            size_t n = (size_t)(e - v) < size - 1 ? (size_t)(e - v) : size - 1;
            memcpy(value, v, n); value[n] = 0;
            return 1;
        }
    }
    return 0;
}

/* Reads a chunked body from in (starting after the head) into body; returns bytes of in consumed, or -1. */
static long read_chunked(SSL *ssl, buf_t *in, size_t start, buf_t *body) {
    size_t pos = start;
    for (;;) {
        char *eol;
        while (!(eol = strstr(in->data + pos, "\r\n"))) { if (in->len - pos > 1024 || !fill(ssl, in)) return -1; }
        unsigned long size = strtoul(in->data + pos, NULL, 16);
        pos = (size_t)(eol - in->data) + 2;
        if (size > MAX_BODY || body->len + size > MAX_BODY) return -1;
        while (in->len - pos < size + 2) { if (!fill(ssl, in)) return -1; }
        if (size == 0) {
            /* No trailers expected; the final CRLF ends the body. */
            while (strncmp(in->data + pos, "\r\n", 2) != 0) {
                char *t = strstr(in->data + pos, "\r\n");
                if (!t) { if (!fill(ssl, in)) return -1; continue; }
                pos = (size_t)(t - in->data) + 2;
            }
            return (long)(pos + 2);
        }
        if (buf_append(body, in->data + pos, size)) return -1;
        pos += size + 2;
    }
}

static void serve_connection(SSL *ssl) {
    buf_t in = {0}, body = {0};
    for (;;) {
        char *head_end;
        while (!(head_end = in.data ? strstr(in.data, "\r\n\r\n") : NULL)) {
            if (in.len > MAX_HEADER || !fill(ssl, &in)) goto done;
        }
        size_t head_len = (size_t)(head_end - in.data) + 4;
        char method[16] = "", path[512] = "", version[16] = "", value[64];
        if (sscanf(in.data, "%15s %511s %15s", method, path, version) != 3) goto done;
        head_end[2] = 0; /* the head ends at its last CRLF for header() */
        int keep = strcmp(version, "HTTP/1.0") != 0;
        if (header(in.data, "Connection", value, sizeof value)) keep = strcasecmp(value, "close") != 0 && (keep || strcasecmp(value, "keep-alive") == 0);
        body.len = 0;
        size_t consumed;
        if (header(in.data, "Transfer-Encoding", value, sizeof value) && strcasecmp(value, "chunked") == 0) {
            long used = read_chunked(ssl, &in, head_len, &body);
            if (used < 0) goto done;
            consumed = (size_t)used;
        } else {
            unsigned long length = header(in.data, "Content-Length", value, sizeof value) ? strtoul(value, NULL, 10) : 0;
            if (length > MAX_BODY) { respond(ssl, 413, "Payload Too Large", "text/plain", "too large\n", 0); goto done; }
            while (in.len - head_len < length) { if (!fill(ssl, &in)) goto done; }
            if (buf_append(&body, in.data + head_len, length)) goto done;
            consumed = head_len + length;
        }
        buf_consume(&in, consumed);
        int r;
        if (strcmp(path, "/healthz") == 0) r = respond(ssl, 200, "OK", "text/plain", "ok\n", keep);
        else if (strncmp(path, "/mutate", 7) != 0 || (path[7] && path[7] != '?')) r = respond(ssl, 404, "Not Found", "text/plain", "not found\n", keep);
        else if (strcmp(method, "POST") != 0) r = respond(ssl, 405, "Method Not Allowed", "text/plain", "POST an AdmissionReview\n", keep);
        else r = handle_mutate(ssl, body.data ? body.data : "", body.len, keep);
        if (r || !keep) break;
    }
done:
    free(in.data);
    free(body.data);
}

int main(int argc, char **argv) {
    const char *cert = NULL, *key = NULL, *address = "0.0.0.0";
    int port = 8443, opt;
    image = getenv("SIDECAR_IMAGE") ? getenv("SIDECAR_IMAGE") : "127.0.0.1:5000/skiff/shell:1";
    while ((opt = getopt(argc, argv, "c:k:p:l:i:")) != -1) {
        switch (opt) {
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'l': address = optarg; break;
        case 'i': image = optarg; break;
        default: cert = NULL; optind = argc; break;
        }
    }
    if (!cert || !key || port <= 0 || port > 65535 || strpbrk(image, "\"\\") || strlen(image) > 512) {
        fprintf(stderr, "usage: sidecar-injector -c cert.pem -k key.pem [-p port] [-l address] [-i image]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    setvbuf(stderr, NULL, _IOLBF, 0);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        fprintf(stderr, "sidecar-injector: cannot load %s and %s:\n", cert, key);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (s < 0 || inet_pton(AF_INET, address, &sa.sin_addr) != 1 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
        || bind(s, (struct sockaddr *)&sa, sizeof sa) || listen(s, 64)) {
        fprintf(stderr, "sidecar-injector: cannot listen on %s:%d: %s\n", address, port, strerror(errno));
        return 1;
    }
    fprintf(stderr, "sidecar-injector: serving https://%s:%d/mutate, sidecar image %s\n", address, port, image);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) { if (errno == EINTR) continue; perror("sidecar-injector: accept"); return 1; }
        pid_t pid = fork();
        if (pid == 0) {
            close(s);
            /* An idle keep-alive connection ends after two minutes; a stalled handshake after the same. */
            struct timeval idle = {120, 0};
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
            setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
            SSL *ssl = SSL_new(ctx);
            SSL_set_fd(ssl, c);
            if (SSL_accept(ssl) == 1) {
                serve_connection(ssl);
                SSL_shutdown(ssl);
            }
            SSL_free(ssl);
            close(c);
            _exit(0);
        }
        if (pid < 0) perror("sidecar-injector: fork");
        close(c);
    }
}
