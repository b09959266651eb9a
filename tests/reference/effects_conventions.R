# Reference values for the SMD conventions metafor does not implement, written out from their
# published formulas (independently of metareview's Python code), plus metapsyTools' rule for
# an SMD from a dichotomous outcome and the Sweeting treatment-arm zero-cell correction.
# Run from the repository root: Rscript tests/reference/effects_conventions.R
# (writes tests/reference/effects_conventions.json, as the other reference scripts do)
#
# RevMan 5 (Cochrane, "Statistical algorithms in Review Manager 5", 2010; Deeks & Higgins):
#   g = d (1 - 3/(4N - 9)),  SE(g) = sqrt(N/(n1 n2) + g^2/(2 (N - 3.94)))
# esc 0.5.1 (Wilson's Practical Meta-Analysis Effect Size Calculator), used by metapsyTools:
#   g = d (1 - 3/(4N - 9)),  var = N/(n1 n2) + d^2/(2N)           (d uncorrected)
# CMA (Borenstein, Hedges, Higgins & Rothstein 2009, eqs. 4.18-4.24):
#   J = 1 - 3/(4 df - 1),    var(g) = J^2 (N/(n1 n2) + d^2/(2N))
# metapsyTools g.binary (via esc_2x2(es.type = "g")): if an arm has no events add cc = 0.5
#   to all four cells; d = ln OR sqrt(3)/pi, var = var(ln OR) 3/pi^2; g = -d (1 - 3/(4N - 9))
#   with N the corrected table total.
# Sweeting, Sutton & Lambert (2004) treatment-arm continuity correction, total 2 x 0.5:
#   k1 = n1/(n1 + n2), k2 = n2/(n1 + n2) added to the event and non-event cell of each arm.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/metadat_sets.R")
cases <- list()
add_case <- function(name, data, convention, measure, yi, vi) {
  cases[[length(cases) + 1]] <<- list(name = name, convention = convention, measure = measure,
                                       data = data, yi = as.numeric(yi), vi = as.numeric(vi))
}

means_sets <- metadat_means_sets()
for (name in names(means_sets)) {
  x <- means_sets[[name]]
  data <- means_extraction(name, x)
  n1 <- x$n1i; n2 <- x$n2i; N <- n1 + n2
  sp <- sqrt(((n1 - 1) * x$sd1i^2 + (n2 - 1) * x$sd2i^2) / (N - 2))
  d <- (x$m1i - x$m2i) / sp
  g_approx <- d * (1 - 3 / (4 * N - 9))
  add_case(name, data, "revman5", "SMD", g_approx, N / (n1 * n2) + g_approx^2 / (2 * (N - 3.94)))
  add_case(name, data, "esc", "SMD", g_approx, N / (n1 * n2) + d^2 / (2 * N))
  J <- 1 - 3 / (4 * (N - 2) - 1)
  add_case(name, data, "cma", "SMD", J * d, J^2 * (N / (n1 * n2) + d^2 / (2 * N)))
}

binary_sets <- list(
  hine1989 = data.frame(ai = dat.hine1989$ai, n1i = dat.hine1989$n1i,
                        ci = dat.hine1989$ci, n2i = dat.hine1989$n2i),
  egger2001 = data.frame(ai = dat.egger2001$ai, n1i = dat.egger2001$n1i,
                         ci = dat.egger2001$ci, n2i = dat.egger2001$n2i),
  nielweise2007 = data.frame(ai = dat.nielweise2007$ai, n1i = dat.nielweise2007$n1i,
                             ci = dat.nielweise2007$ci, n2i = dat.nielweise2007$n2i)
)
for (name in names(binary_sets)) {
  x <- binary_sets[[name]]
  data <- data.frame(study = paste(name, seq_len(nrow(x))), event_arm1 = x$ai,
                     totaln_arm1 = x$n1i, event_arm2 = x$ci, totaln_arm2 = x$n2i)
  cc <- ifelse(x$ai == 0 | x$ci == 0, 0.5, 0)
  a <- x$ai + cc; b <- x$n1i - x$ai + cc; c <- x$ci + cc; dd <- x$n2i - x$ci + cc
  lor <- log(a * dd / (b * c)); vlor <- 1 / a + 1 / b + 1 / c + 1 / dd
  N <- a + b + c + dd
  add_case(name, data, "metapsy", "SMD", -(lor * sqrt(3) / pi) * (1 - 3 / (4 * N - 9)),
           vlor * 3 / pi^2)
  # Sweeting treatment-arm correction, only in studies with a zero cell
  zero <- x$ai == 0 | x$ci == 0 | x$ai == x$n1i | x$ci == x$n2i
  k1 <- ifelse(zero, x$n1i / (x$n1i + x$n2i), 0); k2 <- ifelse(zero, x$n2i / (x$n1i + x$n2i), 0)
  a <- x$ai + k1; b <- x$n1i - x$ai + k1; c <- x$ci + k2; dd <- x$n2i - x$ci + k2
  add_case(name, data, "sweeting", "OR", log(a * dd / (b * c)), 1 / a + 1 / b + 1 / c + 1 / dd)
}

writeLines(toJSON(list(cases = cases), digits = NA, auto_unbox = TRUE, na = "null"),
           "tests/reference/effects_conventions.json")
