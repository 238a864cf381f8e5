/* accord-verification — the verification service alone, in TCP mode (see verification.h): it
 * consumes its inputs' streams over CURVE and serves its own stream the same way. */
#include "acc_main.h"
#include "verification/verification.h"

int
main(int argc, char **argv)
{
    return acc_main_service(argc, argv, &verification_service);
}
