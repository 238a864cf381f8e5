/* accord-reporting — the reporting service alone, in TCP mode (see reporting.h): it consumes its
 * inputs' streams over CURVE and serves its own stream the same way. */
#include "acc_main.h"
#include "reporting/reporting.h"

int
main(int argc, char **argv)
{
    return acc_main_service(argc, argv, &reporting_service);
}
