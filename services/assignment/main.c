/* accord-assignment — the assignment service alone, in TCP mode (see assignment.h): it consumes its
 * inputs' streams over CURVE and serves its own stream the same way. */
#include "acc_main.h"
#include "assignment/assignment.h"

int
main(int argc, char **argv)
{
    return acc_main_service(argc, argv, &assignment_service);
}
