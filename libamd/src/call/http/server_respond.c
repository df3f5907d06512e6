/* SPDX-License-Identifier: MIT */
/* amd_server's answers: an amdi_response (rest.h) queued on its libmicrohttpd connection
 * (a JSON body, or a recording's file), and the early refusal written straight on the socket
 * for requests libmicrohttpd cannot hold. */
#include "server_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render.h"

/* Answer @p status with a Twilio error body straight on the socket and end the stream. For
 * request targets libmicrohttpd 0.9.75 cannot hold: it splits the query into per-connection
 * header records first, runs out of its memory pool and then closes without an answer only
 * at the idle timeout. Called before that parsing, from the connection's own thread. */
void amdi_server_refuse_early(struct MHD_Connection *con, int status, const char *reason, const char *msg)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    char *body = amdi_error_json(status, AMDI_TWERR_CALLS, msg);
    if (!ci || !body) {
        free(body);
        return;
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, reason, strlen(body));
    /* both fit in the socket's send buffer of a fresh connection: no partial writes to finish */
    if (send(ci->connect_fd, head, (size_t)hl, MSG_NOSIGNAL | MSG_DONTWAIT) == hl)
        send(ci->connect_fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_RDWR);
    free(body);
}

/* Queue @p ar on @p con; takes its body. */
enum MHD_Result amdi_server_send_response(struct MHD_Connection *con, amdi_response *ar)
{
    if (ar->file_path) {
        int fd = open(ar->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            struct MHD_Response *fr = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
            if (fr) {
                amdi_response_free(ar);
                MHD_add_response_header(fr, MHD_HTTP_HEADER_CONTENT_TYPE, "audio/x-wav");
                enum MHD_Result rc = MHD_queue_response(con, 200, fr);
                MHD_destroy_response(fr);
                return rc;
            }
        }
        if (fd >= 0)
            close(fd);
        amdi_response_free(ar);
        amdi_response_error(ar, 404, AMDI_TWERR_NOT_FOUND, "The recording media is not available");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(ar->body_len, ar->body ? ar->body : (void *)"",
                                                                ar->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        amdi_response_free(ar);
        return MHD_NO;
    }
    ar->body = NULL; /* MHD owns it now */
    if (ar->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ar->content_type);
    if (ar->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"Twilio API\"");
    enum MHD_Result rc = MHD_queue_response(con, (unsigned)ar->status, resp);
    MHD_destroy_response(resp);
    return rc;
}
