/* accord-notification — the notification service alone, in TCP mode (see notification.h): it
 * consumes its inputs' streams over CURVE and serves its own stream the same way. */
#include "acc_main.h"
#include "notification/notification.h"

int
main(int argc, char **argv)
{
    return acc_main_service(argc, argv, &notification_service);
}
