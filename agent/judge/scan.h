/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan - `sealtap-agent scan [FILE...]`: the classifier on text, for
 * checking a transcript, a dataset or a config before it reaches a model.
 * Exit status: 0 nothing found, 1 something found, 2 an error.
 */
#ifndef SEALTAP_SCAN_H
#define SEALTAP_SCAN_H

int scan_main(int argc, char **argv);

#endif
