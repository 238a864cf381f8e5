/* acc_i18n — see acc_i18n.h. */
#include "acc_i18n.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

acc_lang
acc_i18n_from_env(void)
{
    /* The POSIX precedence: LC_ALL overrides LC_MESSAGES overrides LANG. */
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncasecmp(v, "vi", 2) == 0 ? ACC_LANG_VI : ACC_LANG_EN;
    }
    return ACC_LANG_EN;
}

acc_lang
acc_i18n_from_accept(const char *header)
{
    if (!header || !*header)
        return ACC_LANG_VI; /* the citizens served are Vietnamese first */
    /* The first language listed wins; quality values are not weighed (browsers list the
     * preferred language first). */
    while (*header == ' ')
        header++;
    return strncasecmp(header, "en", 2) == 0 ? ACC_LANG_EN : ACC_LANG_VI;
}
