/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detector_ends - the value delimiters detector patterns end with (see
 * detectors.h: a pattern consumes one or two bytes that cannot continue the
 * value). Shared by the tables of built-in detectors.
 */
#ifndef SEALTAP_DETECTOR_ENDS_H
#define SEALTAP_DETECTOR_ENDS_H

/* A number ends at anything but a digit, letter or a separator that goes
 * on with more digits ("4.5", "123-45"): "SSN 123-45-6789." ends at the
 * full stop. */
#define END_NUM "(?:[^0-9A-Za-z_.,\\-]|[.,\\-][^0-9A-Za-z_])"
/* A number printed in space-separated groups goes on while a digit follows
 * the space ("+44 20 7946 0958"). */
#define END_GROUPS "(?:[^0-9A-Za-z_.,\\- ]|[.,\\-][^0-9A-Za-z_]| [^0-9])"
#define END_WORD "[^0-9A-Za-z_]"
#define END_TOK "[^0-9A-Za-z_\\-]"
#define END_B64 "[^0-9A-Za-z+/=]"
#define END_HOST "(?:[^0-9A-Za-z_.:\\-]|[.:\\-][^0-9A-Za-z_])"
/* A token of letters, digits and - _ . (Terraform, Doppler, Vault). */
#define END_DOTTED "[^0-9A-Za-z_.\\-]"

#endif
