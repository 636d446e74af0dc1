/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detector_ends - the value delimiters detector patterns end with (see
 * detectors.h: a pattern consumes one or two bytes that cannot continue the
 * value). Shared by the tables of built-in detectors.
 */
#ifndef SEALTAP_DETECTOR_ENDS_H
#define SEALTAP_DETECTOR_ENDS_H

/* Markdown's _emphasis_ and __strong__ around a value: an underscore is a
 * word character (identifiers are glued with it), but one or two of them
 * followed by a non-word end the word. A value whose own alphabet has the
 * underscore takes it in before its pattern ever gets here. Three bytes
 * at most, MAX_DELIM in classify.c. */
#define END_EMPH "|_{1,2}[^0-9A-Za-z_]"

/* A number ends at anything but a digit, letter or a separator that goes
 * on with more digits ("4.5", "123-45"): "SSN 123-45-6789." ends at the
 * full stop. */
#define END_NUM "(?:[^0-9A-Za-z_.,\\-]|[.,\\-][^0-9A-Za-z_]" END_EMPH ")"
/* A number printed in space-separated groups goes on while a digit follows
 * the space ("+44 20 7946 0958"). */
#define END_GROUPS "(?:[^0-9A-Za-z_.,\\- ]|[.,\\-][^0-9A-Za-z_]| [^0-9]" END_EMPH ")"
#define END_WORD "(?:[^0-9A-Za-z_]" END_EMPH ")"
#define END_TOK "(?:[^0-9A-Za-z_\\-]" END_EMPH ")"
#define END_B64 "[^0-9A-Za-z+/=]"
#define END_HOST "(?:[^0-9A-Za-z_.:\\-]|[.:\\-][^0-9A-Za-z_]" END_EMPH ")"
/* A token of letters, digits and - _ . (Terraform, Doppler, Vault). */
#define END_DOTTED "(?:[^0-9A-Za-z_.\\-]" END_EMPH ")"

#endif
