/* SPDX-License-Identifier: MIT */
/* webhook.c - the libcurl thread behind HTTP destinations (see webhook.h). */
#include "webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"

#define WEBHOOK_TIMEOUT_S 10

struct fg_webhook {
    struct fg_work work;             /* the libcurl thread */
    atomic_bool abort;
    CURL *curl;                      /* reused: keeps connections alive between deliveries */
};

static struct fg_webhook_job *webhook_job(struct fg_work_job *w)
{
    return (struct fg_webhook_job *)((char *)w - offsetof(struct fg_webhook_job, work));
}

static void webhook_on_done(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    (void)loop;
    struct fg_webhook_job *job = webhook_job((struct fg_work_job *)((char *)msg - offsetof(struct fg_work_job, msg)));
    job->done(job);
}

static size_t webhook_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int webhook_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct fg_webhook *w = arg;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return atomic_load(&w->abort) ? 1 : 0;
}

static void webhook_run(struct fg_webhook *w, struct fg_webhook_job *job)
{
    struct curl_slist *hdrs = NULL;
    char ct[128];
    long code = 0;
    CURLcode rc;

    job->status = 0;
    job->error[0] = '\0';
    if (atomic_load(&w->abort)) {
        snprintf(job->error, sizeof(job->error), "gateway stopping");
        return;
    }
    snprintf(ct, sizeof(ct), "Content-Type: %s", job->content_type);
    hdrs = curl_slist_append(hdrs, ct);
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_reset(w->curl);
    curl_easy_setopt(w->curl, CURLOPT_URL, job->url);
    curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, job->body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->body_len);
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, webhook_discard);
    curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, webhook_progress);
    curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "fngate/" FG_VERSION);
    rc = curl_easy_perform(w->curl);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        snprintf(job->error, sizeof(job->error), "%s", curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
    job->status = (int)code;
    if (code < 200 || code > 299)
        snprintf(job->error, sizeof(job->error), "HTTP %ld", code);
}

static void webhook_work_run(struct fg_work *work, struct fg_work_job *job)
{
    webhook_run(work->arg, webhook_job(job));
}

static void webhook_work_dropped(struct fg_work *work, struct fg_work_job *job)
{
    (void)work;
    fg_log(FG_LOG_DEBUG, "webhook", "result for %s dropped: loop closed", webhook_job(job)->url);
}

/* On stop the queued deliveries still run: they fail at once (abort), and their done
 * callbacks tell the queue. */
static const struct fg_work_ops webhook_work_ops = {
    .name = "webhook", .run = webhook_work_run, .done = webhook_on_done, .dropped = webhook_work_dropped, .drain = true,
};

int fg_webhook_new(struct fg_loop *loop, struct fg_webhook **out, struct fg_err *err)
{
    struct fg_webhook *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (!w)
        return fg_err_set(err, -ENOMEM, "out of memory");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(w->curl = curl_easy_init())) {
        fg_webhook_free(w);
        return fg_err_set(err, -ENOMEM, "cannot initialise libcurl");
    }
    if ((rc = fg_work_start(&w->work, &webhook_work_ops, loop, w, err)) < 0) {
        fg_webhook_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void fg_webhook_post(struct fg_webhook *w, struct fg_webhook_job *job)
{
    fg_work_post(&w->work, &job->work);
}

void fg_webhook_stop(struct fg_webhook *w)
{
    if (!w)
        return;
    atomic_store(&w->abort, true);
    fg_work_stop(&w->work);
}

void fg_webhook_free(struct fg_webhook *w)
{
    if (!w)
        return;
    fg_webhook_stop(w);
    if (w->curl)
        curl_easy_cleanup(w->curl);
    free(w);
}
