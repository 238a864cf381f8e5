/*
 * acc_i18n — Vietnamese or English for text that people read. The language comes from
 * the locale (LC_ALL, LC_MESSAGES, LANG: "vi..." means Vietnamese; anything else,
 * English). Text pairs live at the call site, ACC_TR(lang, "English", "Tiếng Việt"), so
 * that a message and its translation are read and changed together. JSON output and
 * logs are never translated.
 */
#ifndef ACC_I18N_H
#define ACC_I18N_H

typedef enum { ACC_LANG_EN = 0, ACC_LANG_VI = 1 } acc_lang;

/* acc_i18n_from_env — the language of the current locale environment. */
acc_lang acc_i18n_from_env(void);

/* acc_i18n_from_accept — from an HTTP Accept-Language header (NULL = Vietnamese). */
acc_lang acc_i18n_from_accept(const char *header);

#define ACC_TR(lang, en, vi) ((lang) == ACC_LANG_VI ? (vi) : (en))

#endif
