/* nosymbol.c -- a shared object that is not a faultline protocol (no
 * `faultline_protocol` symbol): loading it must fail cleanly. */
int not_a_protocol(void);
int not_a_protocol(void)
{
    return 42;
}
