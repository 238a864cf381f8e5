/*
 * intake_form — the citizen form of intake's HTTP ingest (see intake_http.h for the
 * contract, intake_http_int.h for the files around it):
 *
 *   GET  /report   the form (Vietnamese; English when the browser asks for it or with
 *                  ?lang=en); plain HTML, no JavaScript, accessible (labels, hints, error
 *                  summary linked to the fields)
 *   POST /report   the submission: checked here so that the citizen gets the form back
 *                  with the problems marked, limited per address, then handed to intake
 *                  under the source "citizen"; the receipt shows the report's id
 *
 * Contact details (name, email, phone) travel to intake as a ReporterContact beside the
 * report, never inside it, so they stay on this node. Everything echoed into a page is
 * HTML-escaped (s_html).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acc_buf.h"
#include "acc_i18n.h"
#include "acc_ids.h"
#include "acc_log.h"
#include "acc_text.h"
#include "acc_url.h"
#include "intake_http_int.h"

#define CONTACT_MAX 200
#define POST_BUFFER (16 * 1024) /* libmicrohttpd's buffer for decoding the form */

enum { F_URL, F_TEXT, F_CATEGORY, F_DESCRIPTION, F_NAME, F_EMAIL, F_PHONE, F_LANG, F__COUNT };
static const char *const s_form_names[F__COUNT] = {"url",  "text",  "category", "description",
                                                   "name", "email", "phone",    "lang"};

/* One field as received: kept up to @max bytes, beyond that only marked. */
typedef struct {
    acc_buf_t v;
    size_t max;
    int overflow;
} s_field;

struct intake_form_req {
    struct MHD_PostProcessor *pp;
    int bad; /* the post processor gave up on the body */
    s_field f[F__COUNT];
};

/* HTML-escape @z[0..@n): everything echoed into a page goes through here. */
static void
s_html(acc_buf_t *s, const char *z, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (z[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep) {
            acc_buf_add(s, z + from, i - from);
            acc_buf_adds(s, rep);
            from = i + 1;
        }
    }
    acc_buf_add(s, z + from, n - from);
}

static void
s_htmlz(acc_buf_t *s, const char *z)
{
    s_html(s, z, strlen(z));
}

/* A form problem: which field and what to tell the citizen. */
typedef struct {
    int field; /* F_*, or -1 for the form as a whole */
    char msg[400];
} s_form_err;

#define FORM_ERRS 8

static const char s_css[] =
    "body{font:1.05rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0;padding:1rem}"
    "main{max-width:42rem;margin:0 auto}"
    "h1{font-size:1.6rem;line-height:1.25}"
    "a{color:#0645ad}"
    "fieldset{border:1px solid #6b6b6b;border-radius:4px;margin:0 0 1.25rem;padding:.75rem 1rem}"
    "legend{font-weight:700;padding:0 .25rem}"
    ".f{margin:0 0 1rem}"
    "label{display:block;font-weight:600;margin-bottom:.2rem}"
    ".hint{color:#4a4a4a;margin:.1rem 0 .3rem;font-size:.95rem}"
    "input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.45rem;"
    "border:2px solid #4a4a4a;border-radius:4px;background:#fff;color:#1a1a1a}"
    "textarea{min-height:6rem}"
    "input:focus,select:focus,textarea:focus,button:focus,a:focus{outline:3px solid #ffbf47;"
    "outline-offset:1px}"
    "[aria-invalid=true]{border-color:#b00020}"
    ".err{color:#b00020;font-weight:600;margin:.2rem 0}"
    ".box{border:3px solid #b00020;padding:.75rem 1rem;margin:0 0 1.25rem}"
    ".ok{border:3px solid #1d6b2f;padding:.75rem 1rem;margin:0 0 1.25rem}"
    "button{font:inherit;font-weight:700;color:#fff;background:#1d4f91;border:0;"
    "border-radius:4px;padding:.6rem 1.4rem;cursor:pointer}"
    "code{font-size:1.1rem;word-break:break-all}";

static void
s_page_head(acc_buf_t *s, acc_lang lang, const acc_config_t *cfg, const char *title)
{
    acc_buf_addf(s, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
                 lang == ACC_LANG_VI ? "vi" : "en");
    acc_buf_adds(s, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>");
    s_htmlz(s, title);
    acc_buf_adds(s, " — ");
    s_htmlz(s, cfg->name);
    acc_buf_adds(s, "</title>\n<style>");
    acc_buf_adds(s, s_css);
    acc_buf_adds(s, "</style>\n</head>\n<body>\n<main>\n");
}

static void
s_page_tail(acc_buf_t *s)
{
    acc_buf_adds(s, "</main>\n</body>\n</html>\n");
}

static const char *const s_page_hdrs[] = {
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Frame-Options",
    "DENY",
    "Vary",
    "Accept-Language",
    NULL};

static enum MHD_Result
s_reply_page(struct MHD_Connection *c, unsigned status, acc_buf_t *s, const char *retry_after)
{
    if (acc_buf_error(s) != ACC_OK || !s->buf) {
        acc_buf_release(s);
        return intake_http_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                                 "out of memory\n", 14, NULL);
    }
    const char *hdrs[16];
    size_t h = 0;
    for (size_t i = 0; s_page_hdrs[i]; i++)
        hdrs[h++] = s_page_hdrs[i];
    if (retry_after) {
        hdrs[h++] = MHD_HTTP_HEADER_RETRY_AFTER;
        hdrs[h++] = retry_after;
    }
    hdrs[h] = NULL;
    enum MHD_Result rc =
        intake_http_reply(c, status, "text/html; charset=utf-8", s->buf, s->len, hdrs);
    acc_buf_release(s);
    return rc;
}

/* The value of form field @f for echoing back, "" when there is none. */
static const char *
s_fv(const intake_form_req_t *fm, int f)
{
    return fm ? acc_buf_str(&fm->f[f].v) : "";
}

static const char *
s_field_error(const s_form_err *errs, size_t n, int f)
{
    for (size_t i = 0; i < n; i++)
        if (errs[i].field == f)
            return errs[i].msg;
    return NULL;
}

/* One labelled input. @kind: "text", "email", "tel", "textarea". */
static void
s_form_input(acc_buf_t *s, const intake_form_req_t *fm, const s_form_err *errs, size_t n_errs,
             int f, const char *kind, const char *label, const char *hint, int required,
             const char *autocomplete, size_t maxlen)
{
    const char *name = s_form_names[f];
    const char *err = s_field_error(errs, n_errs, f);
    acc_buf_addf(s, "<div class=\"f\">\n<label for=\"%s\">", name);
    s_htmlz(s, label);
    acc_buf_adds(s, "</label>\n");
    if (hint) {
        acc_buf_addf(s, "<p class=\"hint\" id=\"%s-hint\">", name);
        s_htmlz(s, hint);
        acc_buf_adds(s, "</p>\n");
    }
    if (err) {
        acc_buf_addf(s, "<p class=\"err\" id=\"%s-err\">", name);
        s_htmlz(s, err);
        acc_buf_adds(s, "</p>\n");
    }
    char described[128] = "";
    if (hint || err)
        snprintf(described, sizeof described, " aria-describedby=\"%s%s%s%s%s\"", hint ? name : "",
                 hint ? "-hint" : "", hint && err ? " " : "", err ? name : "", err ? "-err" : "");
    if (strcmp(kind, "textarea") == 0) {
        acc_buf_addf(s, "<textarea id=\"%s\" name=\"%s\" rows=\"5\" maxlength=\"%zu\"%s%s%s>", name,
                     name, maxlen, required ? " required" : "", described,
                     err ? " aria-invalid=\"true\"" : "");
        s_htmlz(s, s_fv(fm, f));
        acc_buf_adds(s, "</textarea>\n</div>\n");
        return;
    }
    acc_buf_addf(s, "<input id=\"%s\" name=\"%s\" type=\"%s\" maxlength=\"%zu\"%s%s%s", name, name,
                 kind, maxlen, required ? " required" : "", described,
                 err ? " aria-invalid=\"true\"" : "");
    if (autocomplete)
        acc_buf_addf(s, " autocomplete=\"%s\"", autocomplete);
    if (f == F_URL)
        acc_buf_adds(s, " inputmode=\"url\" spellcheck=\"false\"");
    acc_buf_adds(s, " value=\"");
    s_htmlz(s, s_fv(fm, f));
    acc_buf_adds(s, "\">\n</div>\n");
}

/* The list of problems at the top of the form, each linked to its field. */
static void
s_error_summary(acc_buf_t *s, acc_lang lang, const s_form_err *errs, size_t n_errs)
{
    if (!n_errs)
        return;
    acc_buf_adds(s, "<div class=\"box\" role=\"alert\" aria-labelledby=\"err-title\">\n"
                    "<h2 id=\"err-title\">");
    s_htmlz(s, ACC_TR(lang, "Please correct the following", "Vui lòng sửa các mục sau"));
    acc_buf_adds(s, "</h2>\n<ul>\n");
    for (size_t i = 0; i < n_errs; i++) {
        if (errs[i].field >= 0)
            acc_buf_addf(s, "<li><a href=\"#%s\">", s_form_names[errs[i].field]);
        else
            acc_buf_adds(s, "<li>");
        s_htmlz(s, errs[i].msg);
        acc_buf_adds(s, errs[i].field >= 0 ? "</a></li>\n" : "</li>\n");
    }
    acc_buf_adds(s, "</ul>\n</div>\n");
}

/* The category select, with the chosen one selected. */
static void
s_category_select(acc_buf_t *s, const acc_config_t *cfg, acc_lang lang, const intake_form_req_t *fm,
                  const s_form_err *errs, size_t n_errs)
{
    const char *cerr = s_field_error(errs, n_errs, F_CATEGORY);
    acc_buf_adds(s, "<div class=\"f\">\n<label for=\"category\">");
    s_htmlz(s, ACC_TR(lang, "Kind of content (required)", "Loại nội dung (bắt buộc)"));
    acc_buf_adds(s, "</label>\n");
    if (cerr) {
        acc_buf_adds(s, "<p class=\"err\" id=\"category-err\">");
        s_htmlz(s, cerr);
        acc_buf_adds(s, "</p>\n");
    }
    acc_buf_addf(s, "<select id=\"category\" name=\"category\" required%s>\n",
                 cerr ? " aria-invalid=\"true\" aria-describedby=\"category-err\"" : "");
    acc_buf_adds(s, "<option value=\"\">");
    s_htmlz(s, ACC_TR(lang, "— Choose one —", "— Chọn một loại —"));
    acc_buf_adds(s, "</option>\n");
    const char *chosen = s_fv(fm, F_CATEGORY);
    for (size_t i = 0; i < cfg->n_categories; i++) {
        const acc_category_t *cat = &cfg->categories[i];
        acc_buf_adds(s, "<option value=\"");
        s_htmlz(s, cat->id);
        acc_buf_adds(s, strcmp(chosen, cat->id) == 0 ? "\" selected>" : "\">");
        s_htmlz(s, lang == ACC_LANG_VI ? cat->name_vi : cat->name_en);
        acc_buf_adds(s, "</option>\n");
    }
    acc_buf_adds(s, "</select>\n</div>\n");
}

/* The form, empty (@fm NULL) or filled with what was sent and the problems found. */
static void
s_form_page(acc_buf_t *s, const acc_config_t *cfg, acc_lang lang, const intake_form_req_t *fm,
            const s_form_err *errs, size_t n_errs)
{
    const char *title =
        ACC_TR(lang, "Report harmful online content", "Báo cáo nội dung độc hại trên mạng");
    s_page_head(s, lang, cfg, title);
    acc_buf_adds(s, "<h1>");
    s_htmlz(s, title);
    acc_buf_adds(s, "</h1>\n<p>");
    s_htmlz(s, ACC_TR(lang, "Use this form to tell ", "Dùng biểu mẫu này để báo cho "));
    s_htmlz(s, cfg->name);
    s_htmlz(s, ACC_TR(lang,
                      " about a web page, post or message that may be a scam, phishing, "
                      "false information or otherwise harmful. Fields marked (required) "
                      "must be filled in; everything else is optional.",
                      " về một trang web, bài đăng hoặc tin nhắn có thể là lừa đảo, giả "
                      "mạo, thông tin sai sự thật hoặc gây hại khác. Các ô ghi (bắt buộc) "
                      "phải điền; các ô khác không bắt buộc."));
    acc_buf_adds(s, "</p>\n");
    if (lang == ACC_LANG_VI)
        acc_buf_adds(
            s, "<p><a href=\"/report?lang=en\" hreflang=\"en\" lang=\"en\">English</a></p>\n");
    else
        acc_buf_adds(
            s, "<p><a href=\"/report?lang=vi\" hreflang=\"vi\" lang=\"vi\">Tiếng Việt</a></p>\n");

    s_error_summary(s, lang, errs, n_errs);

    acc_buf_adds(s, "<form method=\"post\" action=\"/report\" accept-charset=\"utf-8\">\n");
    acc_buf_addf(s, "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n",
                 lang == ACC_LANG_VI ? "vi" : "en");
    acc_buf_adds(s, "<fieldset>\n<legend>");
    s_htmlz(s, ACC_TR(lang, "The content you are reporting", "Nội dung bạn muốn báo cáo"));
    acc_buf_adds(s, "</legend>\n");
    s_form_input(s, fm, errs, n_errs, F_URL, "text",
                 ACC_TR(lang, "Web address (URL) (required)", "Địa chỉ trang web (URL) (bắt buộc)"),
                 ACC_TR(lang, "Copy it from the address bar, for example https://example.com/page",
                        "Sao chép từ thanh địa chỉ, ví dụ https://example.com/trang"),
                 1, "off", (size_t)cfg->limits.url_max_bytes);

    s_category_select(s, cfg, lang, fm, errs, n_errs);

    s_form_input(
        s, fm, errs, n_errs, F_TEXT, "textarea",
        ACC_TR(lang, "Excerpt of the content (optional)", "Trích đoạn nội dung (không bắt buộc)"),
        ACC_TR(lang, "Copy the text that worries you, if any.",
               "Sao chép đoạn văn bản khiến bạn lo ngại, nếu có."),
        0, NULL, (size_t)cfg->limits.text_max_bytes);
    s_form_input(s, fm, errs, n_errs, F_DESCRIPTION, "textarea",
                 ACC_TR(lang, "What is wrong with it? (optional)",
                        "Nội dung này có vấn đề gì? (không bắt buộc)"),
                 ACC_TR(lang,
                        "For example: it asks for bank details while pretending to be a bank.",
                        "Ví dụ: trang giả danh ngân hàng để đòi thông tin tài khoản."),
                 0, NULL, (size_t)cfg->limits.text_max_bytes);
    acc_buf_adds(s, "</fieldset>\n<fieldset aria-describedby=\"contact-note\">\n<legend>");
    s_htmlz(s, ACC_TR(lang, "How to reach you (optional)", "Thông tin liên hệ (không bắt buộc)"));
    acc_buf_adds(s, "</legend>\n<p class=\"hint\" id=\"contact-note\">");
    s_htmlz(s, ACC_TR(lang,
                      "Leave these empty to report anonymously. If you fill them in, they "
                      "are kept only by this agency, used only to ask you about this "
                      "report, and never shared with other agencies.",
                      "Để trống nếu bạn muốn báo cáo ẩn danh. Nếu bạn điền, thông tin này "
                      "chỉ được lưu tại cơ quan này, chỉ dùng để hỏi bạn về báo cáo này và "
                      "không bao giờ được chia sẻ với cơ quan khác."));
    acc_buf_adds(s, "</p>\n");
    s_form_input(s, fm, errs, n_errs, F_NAME, "text", ACC_TR(lang, "Your name", "Họ và tên"), NULL,
                 0, "name", CONTACT_MAX);
    s_form_input(s, fm, errs, n_errs, F_EMAIL, "email",
                 ACC_TR(lang, "Email", "Thư điện tử (email)"), NULL, 0, "email", CONTACT_MAX);
    s_form_input(s, fm, errs, n_errs, F_PHONE, "tel", ACC_TR(lang, "Phone", "Số điện thoại"), NULL,
                 0, "tel", 40);
    acc_buf_adds(s, "</fieldset>\n<button type=\"submit\">");
    s_htmlz(s, ACC_TR(lang, "Send the report", "Gửi báo cáo"));
    acc_buf_adds(s, "</button>\n</form>\n");
    s_page_tail(s);
}

/* A short page with a heading and a paragraph (receipts, limits, failures). */
static void
s_message_page(acc_buf_t *s, const acc_config_t *cfg, acc_lang lang, const char *title,
               const char *text, const char *code, const char *box)
{
    s_page_head(s, lang, cfg, title);
    acc_buf_addf(s, "<div class=\"%s\" role=\"status\">\n<h1>", box);
    s_htmlz(s, title);
    acc_buf_adds(s, "</h1>\n<p>");
    s_htmlz(s, text);
    acc_buf_adds(s, "</p>\n");
    if (code) {
        acc_buf_adds(s, "<p>");
        s_htmlz(s, ACC_TR(lang, "Your reference number: ", "Mã tiếp nhận của bạn: "));
        acc_buf_adds(s, "<code>");
        s_htmlz(s, code);
        acc_buf_adds(s, "</code></p>\n");
    }
    acc_buf_addf(s, "</div>\n<p><a href=\"/report?lang=%s\">", lang == ACC_LANG_VI ? "vi" : "en");
    s_htmlz(s, ACC_TR(lang, "Report something else", "Báo cáo nội dung khác"));
    acc_buf_adds(s, "</a></p>\n");
    s_page_tail(s);
}

static acc_lang
s_lang(struct MHD_Connection *c, const char *override)
{
    if (override && strcmp(override, "en") == 0)
        return ACC_LANG_EN;
    if (override && strcmp(override, "vi") == 0)
        return ACC_LANG_VI;
    return acc_i18n_from_accept(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

enum MHD_Result
intake_form_get(intake_http_t *self, struct MHD_Connection *c)
{
    acc_lang lang = s_lang(c, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang"));
    acc_buf_t s = ACC_BUF_INIT;
    s_form_page(&s, self->cfg, lang, NULL, NULL, 0);
    return s_reply_page(c, MHD_HTTP_OK, &s, NULL);
}

static enum MHD_Result
s_form_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
            const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
            size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    intake_form_req_t *fm = cls;
    int f = 0;
    while (f < F__COUNT && strcmp(s_form_names[f], key ? key : "") != 0)
        f++;
    if (f == F__COUNT || size == 0) /* other fields (a button's name) are ignored */
        return MHD_YES;
    s_field *fd = &fm->f[f];
    if (fd->overflow || fd->v.len + size > fd->max) {
        fd->overflow = 1;
        return MHD_YES;
    }
    return acc_buf_add(&fd->v, data, size) == ACC_OK ? MHD_YES : MHD_NO;
}

/* Text a citizen typed: valid UTF-8, no NUL, no control characters other than line
 * breaks and tabs (in the text areas). */
static int
s_clean_text(const s_field *fd, int multiline)
{
    const char *p = fd->v.buf;
    size_t len = fd->v.len;
    if (!p)
        return 1;
    if (!acc_text_utf8_valid(p, len) || memchr(p, '\0', len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
            return 0;
    }
    return 1;
}

static int
s_email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        e[strlen(e) - 1] == '.')
        return 0;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ')
            return 0;
    return 1;
}

static int
s_phone_ok(const char *p)
{
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr(" +-().", *p))
            return 0;
    }
    return digits >= 6 && digits <= 20;
}

static void
s_add_form_err(s_form_err *errs, size_t *n, int f, const char *msg)
{
    if (*n >= FORM_ERRS)
        return;
    errs[*n].field = f;
    snprintf(errs[*n].msg, sizeof errs[*n].msg, "%.399s", msg);
    (*n)++;
}

/* Check the submitted form; fills @errs. Values that are not clean UTF-8 are dropped so
 * that they are not echoed back. */
static size_t
s_form_check(const acc_config_t *cfg, intake_form_req_t *fm, acc_lang lang, s_form_err *errs)
{
    size_t n = 0;
    for (int f = 0; f < F__COUNT; f++) {
        s_field *fd = &fm->f[f];
        if (!s_clean_text(fd, f == F_TEXT || f == F_DESCRIPTION)) {
            acc_buf_release(&fd->v);
            if (f != F_LANG)
                s_add_form_err(errs, &n, f,
                               ACC_TR(lang,
                                      "This field contains characters that cannot be "
                                      "accepted; please type it again.",
                                      "Ô này có ký tự không hợp lệ; vui lòng nhập lại."));
        } else if (fd->overflow) {
            s_add_form_err(errs, &n, f,
                           ACC_TR(lang, "This field is too long.", "Nội dung ô này quá dài."));
        }
    }
    const char *url = s_fv(fm, F_URL);
    if (!s_field_error(errs, n, F_URL)) {
        char *canon = NULL;
        size_t l = strlen(url);
        while (l && (url[l - 1] == ' ' || url[l - 1] == '\t'))
            l--;
        if (l == 0)
            s_add_form_err(errs, &n, F_URL,
                           ACC_TR(lang, "Enter the web address (URL) of the content.",
                                  "Hãy nhập địa chỉ (URL) của nội dung."));
        else if (acc_url_canonicalize(url, l, ACC_URL_CANONICAL, &canon, NULL) != ACC_OK)
            s_add_form_err(errs, &n, F_URL,
                           ACC_TR(lang,
                                  "This web address is not valid. Copy it from the "
                                  "browser's address bar, for example "
                                  "https://example.com/page",
                                  "Địa chỉ này không hợp lệ. Hãy sao chép từ thanh địa chỉ "
                                  "của trình duyệt, ví dụ https://example.com/trang"));
        free(canon);
    }
    if (!s_field_error(errs, n, F_CATEGORY) && !acc_config_category(cfg, s_fv(fm, F_CATEGORY)))
        s_add_form_err(errs, &n, F_CATEGORY,
                       ACC_TR(lang, "Choose the kind of content.", "Hãy chọn loại nội dung."));
    if (!s_field_error(errs, n, F_EMAIL) && s_fv(fm, F_EMAIL)[0] && !s_email_ok(s_fv(fm, F_EMAIL)))
        s_add_form_err(errs, &n, F_EMAIL,
                       ACC_TR(lang,
                              "Enter an email address like name@example.com, or leave it "
                              "empty.",
                              "Hãy nhập email dạng ten@example.com, hoặc để trống."));
    if (!s_field_error(errs, n, F_PHONE) && s_fv(fm, F_PHONE)[0] && !s_phone_ok(s_fv(fm, F_PHONE)))
        s_add_form_err(errs, &n, F_PHONE,
                       ACC_TR(lang,
                              "Enter a phone number using digits (6 to 20), or leave it "
                              "empty.",
                              "Hãy nhập số điện thoại gồm 6 đến 20 chữ số, hoặc để trống."));
    return n;
}

typedef struct {
    int outcome;
    char report_id[ACC_UUID_TEXT_LEN + 1];
    char field[128];
    char msg[384];
} s_one_result;

static void
s_one(void *arg, size_t k, const Accord__V1__ReportResult *rr)
{
    (void)k;
    s_one_result *o = arg;
    o->outcome = rr->outcome;
    snprintf(o->report_id, sizeof o->report_id, "%s", rr->report_id);
    if (rr->error) {
        snprintf(o->field, sizeof o->field, "%s", rr->error->field);
        snprintf(o->msg, sizeof o->msg, "%s", rr->error->message);
    }
}

/* Hand the checked form to intake as one report of source "citizen" (@src: its
 * configuration, may be NULL) with its contact details beside it. */
static intake_http_sendrc
s_submit(intake_http_t *self, const intake_form_req_t *fm, const acc_source_cfg_t *src,
         s_one_result *one, char *why, size_t whylen)
{
    Accord__V1__Report r = ACCORD__V1__REPORT__INIT;
    r.url = (char *)s_fv(fm, F_URL);
    r.text = (char *)s_fv(fm, F_TEXT);
    r.category = (char *)s_fv(fm, F_CATEGORY);
    r.description = (char *)s_fv(fm, F_DESCRIPTION);
    r.source = (char *)INTAKE_HTTP_CITIZEN;
    if (src && src->trust)
        r.trust = src->trust;
    if (src && src->confidence > 0)
        r.confidence = (uint32_t)src->confidence;
    /* Contact details go beside the report, never in it: they stay on this node. */
    Accord__V1__ReporterContact ct = ACCORD__V1__REPORTER_CONTACT__INIT;
    ct.index = 0;
    ct.name = (char *)s_fv(fm, F_NAME);
    ct.email = (char *)s_fv(fm, F_EMAIL);
    ct.phone = (char *)s_fv(fm, F_PHONE);
    int has_contact = ct.name[0] || ct.email[0] || ct.phone[0];
    Accord__V1__Report *reps[1] = {&r};
    size_t committed = 0;
    return intake_http_submit_all(self, reps, 1, has_contact ? &ct : NULL, s_one, one, &committed,
                                  why, whylen);
}

enum MHD_Result
intake_form_post(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq)
{
    const acc_config_t *cfg = self->cfg;
    intake_form_req_t *fm = rq->form;
    acc_lang lang = s_lang(c, s_fv(fm, F_LANG));
    acc_buf_t s = ACC_BUF_INIT;
    s_form_err errs[FORM_ERRS];
    size_t n_errs = 0;
    if (fm->bad)
        s_add_form_err(errs, &n_errs, -1,
                       ACC_TR(lang, "The form could not be read; please send it again.",
                              "Không đọc được biểu mẫu; vui lòng gửi lại."));
    else
        n_errs = s_form_check(cfg, fm, lang, errs);
    if (n_errs) {
        s_form_page(&s, cfg, lang, fm, errs, n_errs);
        return s_reply_page(c, MHD_HTTP_BAD_REQUEST, &s, NULL);
    }

    unsigned char ip[INTAKE_HTTP_IP_KEY_LEN];
    intake_http_client_key(c, ip);
    const acc_source_cfg_t *src = acc_config_source(cfg, INTAKE_HTTP_CITIZEN);
    int64_t wait = intake_http_rate_take(self, src, ip, 1);
    if (wait != 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)(wait > 0 ? wait : 60));
        s_message_page(&s, cfg, lang, ACC_TR(lang, "Too many reports", "Quá nhiều báo cáo"),
                       ACC_TR(lang,
                              "Too many reports were sent from your connection in the "
                              "last minute. Your report was not saved; please wait a "
                              "minute and send it again.",
                              "Có quá nhiều báo cáo được gửi từ kết nối của bạn trong một phút "
                              "qua. Báo cáo của bạn chưa được lưu; vui lòng đợi một phút rồi "
                              "gửi lại."),
                       NULL, "box");
        return s_reply_page(c, MHD_HTTP_TOO_MANY_REQUESTS, &s, secs);
    }

    s_one_result one = {.outcome = 0};
    char why[384];
    intake_http_sendrc rc = s_submit(self, fm, src, &one, why, sizeof why);
    if (rc != INTAKE_HTTP_SENT) {
        acc_log_warn(INTAKE_HTTP_TAG, "citizen report not stored: %s", why);
        s_message_page(
            &s, cfg, lang,
            ACC_TR(lang, "Your report could not be saved", "Chưa lưu được báo cáo của bạn"),
            ACC_TR(lang,
                   "The service is busy or temporarily unavailable. Nothing "
                   "was saved; please try again in a few minutes.",
                   "Hệ thống đang bận hoặc tạm thời không hoạt động. Chưa có gì "
                   "được lưu; vui lòng thử lại sau vài phút."),
            NULL, "box");
        return s_reply_page(c,
                            rc == INTAKE_HTTP_RETRY ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                    : MHD_HTTP_INTERNAL_SERVER_ERROR,
                            &s, rc == INTAKE_HTTP_RETRY ? INTAKE_HTTP_RETRY_AFTER_S : NULL);
    }
    if (one.outcome == ACCORD__V1__OUTCOME__OUTCOME_REJECTED || !one.report_id[0]) {
        /* Checked above already; what intake still refuses is shown as it says it. */
        int f = -1;
        const char *dot = strchr(one.field, '.');
        for (int i = 0; dot && i < F__COUNT; i++)
            if (strcmp(dot + 1, s_form_names[i]) == 0)
                f = i;
        char msg[500];
        snprintf(msg, sizeof msg, "%s (%s)",
                 ACC_TR(lang, "The report was not accepted", "Báo cáo không được chấp nhận"),
                 one.msg[0] ? one.msg : "rejected");
        s_add_form_err(errs, &n_errs, f, msg);
        s_form_page(&s, cfg, lang, fm, errs, n_errs);
        return s_reply_page(c, MHD_HTTP_BAD_REQUEST, &s, NULL);
    }
    /* The receipt shows the report's id, not the case number (internal to the agency). */
    s_message_page(&s, cfg, lang,
                   ACC_TR(lang, "Thank you, your report was received",
                          "Cảm ơn bạn, báo cáo đã được tiếp nhận"),
                   ACC_TR(lang,
                          "It has been saved and will be reviewed. Keep the reference "
                          "number below if you want to ask about it.",
                          "Báo cáo đã được lưu và sẽ được xem xét. Hãy giữ mã tiếp nhận dưới "
                          "đây nếu bạn muốn hỏi về báo cáo này."),
                   one.report_id, "ok");
    return s_reply_page(c, MHD_HTTP_OK, &s, NULL);
}

/* --- receiving the form ------------------------------------------------------------------ */

void
intake_form_free(intake_form_req_t *fm)
{
    if (!fm)
        return;
    if (fm->pp)
        MHD_destroy_post_processor(fm->pp);
    for (int i = 0; i < F__COUNT; i++)
        acc_buf_release(&fm->f[i].v);
    free(fm);
}

int
intake_form_begin(intake_http_t *self, struct MHD_Connection *c, intake_http_req_t *rq)
{
    const acc_config_t *cfg = self->cfg;
    intake_form_req_t *fm = calloc(1, sizeof *fm);
    if (!fm)
        return -1;
    rq->form = fm;
    for (int i = 0; i < F__COUNT; i++)
        acc_buf_init(&fm->f[i].v);
    fm->f[F_URL].max = (size_t)cfg->limits.url_max_bytes;
    fm->f[F_TEXT].max = (size_t)cfg->limits.text_max_bytes;
    fm->f[F_DESCRIPTION].max = (size_t)cfg->limits.text_max_bytes;
    fm->f[F_CATEGORY].max = INTAKE_HTTP_CATEGORY_MAX;
    fm->f[F_NAME].max = CONTACT_MAX;
    fm->f[F_EMAIL].max = CONTACT_MAX;
    fm->f[F_PHONE].max = CONTACT_MAX;
    fm->f[F_LANG].max = 8;
    fm->pp = MHD_create_post_processor(c, POST_BUFFER, s_form_iter, fm);
    return fm->pp ? 0 : -2;
}

void
intake_form_data(intake_http_req_t *rq, const char *data, size_t n)
{
    intake_form_req_t *fm = rq->form;
    if (!fm->bad && MHD_post_process(fm->pp, data, n) != MHD_YES)
        fm->bad = 1;
}
