# Reference values for metareview's pooling (tests/test_pooling_metafor.py).
# Run from the repository root:  Rscript tests/reference/pooling.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/pooling.json.
#
# Convergence settings are tightened (threshold/tol 1e-12) so that the stored values are the
# exact roots of the estimating equations, not metafor's default stopping points (threshold
# 1e-5 for Fisher scoring, uniroot tol ~1.2e-4 for PM and the Q-profile); tests compare at
# 1e-6 relative. confint's search interval is widened (tau2.max = 1e8): with its default
# (100 times tau^2) the upper Q-profile bound of normand1999 (DL, HS) is cut off there.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/metadat_sets.R")
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)

datasets <- list(
  bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
  hackshaw1998 = dat.hackshaw1998,
  raudenbush1985 = dat.raudenbush1985,
  molloy2014 = escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014),
  normand1999 = escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i,
                       m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999),
  egger2001 = escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001),
  hine1989 = escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989),
  li2007 = escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007,
                  drop00 = TRUE)
)
datasets <- lapply(datasets, function(d) d[!is.na(d$yi), ])

methods <- c("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS")
tests <- c("z", "knha", "adhoc")

fit_case <- function(d, method, test) {
  res <- rma(yi, vi, data = d, method = method, test = test, control = tight)
  pred <- predict(res)
  out <- list(
    estimate = res$beta[1], se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
    statistic = res$zval, pvalue = res$pval, tau2 = res$tau2, se_tau2 = res$se.tau2,
    i2 = res$I2, h2 = res$H2,
    q = res$QE, q_pvalue = res$QEp,
    pi_lower = if (method == "FE") NULL else pred$pi.lb,
    pi_upper = if (method == "FE") NULL else pred$pi.ub
  )
  if (method != "FE") {
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = 1e8))$random
    out$tau2_ci <- unname(ci["tau^2", 2:3]); out$tau_ci <- unname(ci["tau", 2:3])
    out$i2_ci <- unname(ci["I^2(%)", 2:3]); out$h2_ci <- unname(ci["H^2", 2:3])
  }
  out
}

cases <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (method in methods) for (test in tests) {
    cases[[length(cases) + 1]] <- list(dataset = name, method = method, test = test,
                                       result = fit_case(d, method, test))
  }
}

# Meta-regression: tau^2 with a design matrix (intercept + moderators).
regressions <- list(
  list(dataset = "bcg", mods = c("ablat", "year")),
  list(dataset = "bcg", mods = c("ablat", "allocrandom", "allocsystematic")),
  list(dataset = "raudenbush1985", mods = c("weeks")),
  list(dataset = "hackshaw1998", mods = c("year"))
)
datasets$bcg$ablat <- dat.bcg$ablat; datasets$bcg$year <- dat.bcg$year
# alloc as treatment dummies (reference: alternate), as rma(mods = ~ ablat + alloc) codes it
datasets$bcg$allocrandom <- as.numeric(dat.bcg$alloc == "random")
datasets$bcg$allocsystematic <- as.numeric(dat.bcg$alloc == "systematic")
mreg <- list()
for (spec in regressions) {
  d <- datasets[[spec$dataset]]
  X <- as.matrix(d[, spec$mods, drop = FALSE])
  for (method in setdiff(methods, "FE")) {
    res <- rma(yi, vi, mods = X, data = d, method = method, control = tight)
    mreg[[length(mreg) + 1]] <- list(dataset = spec$dataset, mods = spec$mods, method = method,
                                     X = unname(cbind(1, X)), tau2 = res$tau2,
                                     se_tau2 = res$se.tau2,
                                     beta = unname(res$beta[, 1]))
  }
}

# Mantel-Haenszel and Peto on 2x2 tables.
tables <- metadat_2x2_tables()
binary <- list()
for (name in names(tables)) {
  t <- tables[[name]]
  for (measure in c("OR", "RR", "RD")) {
    res <- rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = t, measure = measure)
    r <- list(estimate = res$beta[1], se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
              statistic = res$zval, pvalue = res$pval, q = res$QE,
              q_pvalue = res$QEp, i2 = res$I2, h2 = res$H2, k = res$k)
    if (measure == "OR") {
      r$cmh <- res$CO; r$cmh_pvalue <- res$COp; r$tarone <- res$TA; r$tarone_pvalue <- res$TAp
    }
    binary[[length(binary) + 1]] <- list(dataset = name, model = "MH", measure = measure, result = r)
  }
  res <- rma.peto(ai = ai, bi = bi, ci = ci, di = di, data = t)
  binary[[length(binary) + 1]] <- list(dataset = name, model = "Peto", measure = "OR", result = list(
    estimate = res$beta[1], se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
    statistic = res$zval, pvalue = res$pval, q = res$QE,
    q_pvalue = res$QEp, i2 = res$I2, h2 = res$H2, k = res$k))
}

# Likelihoods whose score is negative at tau^2 = 0 yet that rise to a higher interior maximum
# (intercept-only ML; found by a seeded search): metafor's Fisher scoring finds the interior one.
bimodal <- list(
  list(yi = c(0.1418, -2.1639, 1.5401, 1.5704, 1.5167, 2.7645),
       vi = c(0.0111, 2.1657, 0.3125, 1.2443, 0.8595, 1.4981)),
  list(yi = c(-2.6799, -4.0018, 0.0596), vi = c(1.5736, 10.2251, 0.1134))
)
bimodal <- lapply(bimodal, function(b) {
  res <- rma(b$yi, b$vi, method = "ML", control = tight)
  c(b, list(method = "ML", tau2 = res$tau2, estimate = res$beta[1]))
})

data_out <- lapply(datasets, function(d) list(yi = as.numeric(d$yi), vi = as.numeric(d$vi)))
doc <- list(
  software = paste("R metafor", packageVersion("metafor"), "/ metadat", packageVersion("metadat")),
  data = data_out, tables = tables, cases = cases, regressions = mreg, binary = binary,
  bimodal = bimodal
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, dataframe = "columns", null = "null", pretty = FALSE),
           "tests/reference/pooling.json")
