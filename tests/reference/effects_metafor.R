# Reference values for metareview's effect sizes from R metafor escalc().
# Run from the repository root: Rscript tests/reference/effects_metafor.R
# (writes tests/reference/effects_metafor.json, as the other reference scripts do)
# metafor 3.8-1, metadat; every case stores its inputs (metareview column names) and yi/vi.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/metadat_sets.R")
cases <- list()
add_case <- function(name, data, measure, options, es) {
  cases[[length(cases) + 1]] <<- list(
    name = name, measure = measure, options = options, data = data,
    yi = as.numeric(es$yi), vi = as.numeric(es$vi))
}

# --- continuous: SMD (vtype LS and UB) and MD ------------------------------------------
means_sets <- metadat_means_sets()
for (name in names(means_sets)) {
  d <- means_sets[[name]]
  data <- means_extraction(name, d)
  for (vtype in c("LS", "UB")) {
    add_case(name, data, "SMD", list(vtype = vtype),
             escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                    n2i = n2i, data = d, vtype = vtype))
  }
  add_case(name, data, "MD", list(),
           escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                  n2i = n2i, data = d))
}

# --- t statistics and two-sided p values (t = qt(1 - p/2, n1 + n2 - 2) with a sign) ------
tdat <- data.frame(study = paste("t", 1:6), t_value = c(2.1, -1.3, 0.4, 3.8, -0.05, 1.96),
                   n_arm1 = c(10, 25, 40, 12, 60, 8), n_arm2 = c(12, 25, 35, 15, 58, 9))
add_case("t_stat", tdat, "SMD", list(vtype = "LS"),
         escalc("SMD", ti = t_value, n1i = n_arm1, n2i = n_arm2, data = tdat))
pdat <- data.frame(study = paste("p", 1:5), p_value = c(0.04, 0.30, 0.001, 0.75, 0.5),
                   higher_arm = c("arm1", "arm2", "arm1", "arm2", "arm1"),
                   n_arm1 = c(20, 30, 45, 10, 16), n_arm2 = c(22, 28, 50, 11, 16))
sgn <- ifelse(pdat$higher_arm == "arm1", 1, -1)
pdat_t <- sgn * qt(pdat$p_value / 2, pdat$n_arm1 + pdat$n_arm2 - 2, lower.tail = FALSE)
add_case("p_value", pdat, "SMD", list(vtype = "LS"),
         escalc("SMD", ti = pdat_t, n1i = pdat$n_arm1, n2i = pdat$n_arm2))
fdat <- data.frame(study = paste("F", 1:3), f_value = c(4.2, 0.9, 12.5),
                   higher_arm = c("arm2", "arm1", "arm1"),
                   n_arm1 = c(30, 14, 50), n_arm2 = c(31, 15, 49))
fsgn <- ifelse(fdat$higher_arm == "arm1", 1, -1)
add_case("f_stat", fdat, "SMD", list(vtype = "LS"),
         escalc("SMD", ti = fsgn * sqrt(fdat$f_value), n1i = fdat$n_arm1, n2i = fdat$n_arm2))

# --- dichotomous: OR, RR, RD with to = "only0", add = 1/2, drop00 FALSE/TRUE --------------
double0 <- data.frame(ai = c(0, 0, 3, 5, 12, 10), n1i = c(15, 20, 30, 5, 40, 10),
                      ci = c(0, 2, 0, 4, 9, 10), n2i = c(14, 22, 31, 6, 38, 10))
binary_sets <- list(
  bcg = data.frame(ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg,
                   ci = dat.bcg$cpos, n2i = dat.bcg$cpos + dat.bcg$cneg),
  hine1989 = data.frame(ai = dat.hine1989$ai, n1i = dat.hine1989$n1i,
                        ci = dat.hine1989$ci, n2i = dat.hine1989$n2i),
  egger2001 = data.frame(ai = dat.egger2001$ai, n1i = dat.egger2001$n1i,
                         ci = dat.egger2001$ci, n2i = dat.egger2001$n2i),
  nielweise2007 = data.frame(ai = dat.nielweise2007$ai, n1i = dat.nielweise2007$n1i,
                             ci = dat.nielweise2007$ci, n2i = dat.nielweise2007$n2i),
  collins1985a = with(dat.collins1985a[!is.na(dat.collins1985a$b.xti), ],
                      data.frame(ai = b.xti, n1i = nti, ci = b.xci, n2i = nci)),
  fine1993 = with(dat.fine1993[!is.na(dat.fine1993$e1i), ],
                  data.frame(ai = e1i, n1i = nei, ci = c1i, n2i = nci)),
  double_zero = double0
)
for (name in names(binary_sets)) {
  d <- binary_sets[[name]]
  data <- data.frame(study = paste(name, seq_len(nrow(d))), event_arm1 = d$ai,
                     totaln_arm1 = d$n1i, event_arm2 = d$ci, totaln_arm2 = d$n2i)
  # drop00 = TRUE only for the ratios: RevMan 5 and meta keep double-zero studies for RD
  # (metafor's drop00 would drop them for RD too; metareview's drop_double_zero does not).
  for (measure in c("OR", "RR", "RD")) {
    for (drop00 in if (measure == "RD") FALSE else c(FALSE, TRUE)) {
      add_case(name, data, measure, list(add = 0.5, to = "only0", drop00 = drop00),
               escalc(measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d,
                      add = 1/2, to = "only0", drop00 = drop00))
    }
  }
  # Hasselblad & Hedges: log OR -> SMD (metafor measure "OR2DL")
  add_case(name, data, "SMD", list(conversion = "OR2DL", add = 0.5, to = "only0"),
           escalc("OR2DL", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d,
                  add = 1/2, to = "only0"))
}

writeLines(toJSON(list(software = paste("metafor", packageVersion("metafor")), cases = cases),
                  digits = NA, auto_unbox = TRUE, na = "null"),
           "tests/reference/effects_metafor.json")
