# Reference values for issue 14's numerical items (tests/test_trust_stats_*.py).
#
# Run from the repository root (R with metafor 3.8-1, metadat and jsonlite):
#   Rscript tests/reference/trust_stats.R > tests/reference/trust_stats.json
#
# Every input (yi, vi, counts) is stored in the JSON, so the tests need no R. Models are fitted
# at exact roots (threshold and tol 1e-12).
suppressMessages({
  library(metafor)
  library(jsonlite)
})
ctl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
num <- function(x) unname(as.numeric(x))
out <- list(metafor_version = as.character(packageVersion("metafor")))

# 13. ranktest: metafor asks cor.test for Kendall's exact p-value whenever there are no ties,
# also for k >= 50 (landenberger2005, k = 58).
land <- escalc(measure = "OR", ai = n.cbt.non, bi = n.cbt.rec, ci = n.ctrl.non,
               di = n.ctrl.rec, data = dat.landenberger2005)
rk <- ranktest(rma(yi, vi, data = land, control = ctl))
out$ranktest <- list(yi = num(land$yi), vi = num(land$vi), tau = num(rk$tau),
                     pvalue = num(rk$pval))

# 14. trim-and-fill after a Hartung-Knapp fit: metafor refits the filled data with a z test.
linde <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
trim_fill <- list()
for (m in c("DL", "REML")) {
  tf <- trimfill(rma(yi, vi, data = linde, method = m, test = "knha", control = ctl))
  # trimfill() refits without the control list; refit its filled data at the exact root
  refit <- rma(tf$yi, tf$vi, method = m, test = tf$test, control = ctl)
  trim_fill[[m]] <- list(k0 = num(tf$k0), side = tf$side, estimate = num(refit$beta),
                         se = num(refit$se), ci_lower = num(refit$ci.lb),
                         ci_upper = num(refit$ci.ub), pvalue = num(refit$pval),
                         tau2 = num(refit$tau2), test = tf$test)
}
out$trimfill <- list(yi = num(linde$yi), vi = num(linde$vi), fits = trim_fill)

# 15. selection model: delta is bounded above by delta.max = 100. With three cut-points the
# maximum lies on that bound (optim's BFGS, tightened, reaches it). With one cut-point metafor's
# default BFGS stops at the bound although the likelihood is higher inside (nlminb finds it).
lopez <- dat.lopez2019
yi <- -lopez$diff
vi <- lopez$se^2
ml_fit <- rma(yi, vi, method = "ML", control = ctl)
sel_fit <- function(steps, control = list()) {
  sel <- suppressWarnings(selmodel(ml_fit, type = "stepfun", steps = steps,
                                   alternative = "less", control = control))
  list(steps = steps, estimate = num(sel$beta), tau2 = num(sel$tau2), delta = num(sel$delta),
       loglik = num(sel$ll), lrt = num(sel$LRT))
}
out$selmodel <- list(
  yi = yi, vi = vi, alternative = "less",
  at_bound = sel_fit(c(0.001, 0.025, 0.5), list(optimizer = "BFGS", reltol = 1e-14,
                                                 maxit = 10000)),
  interior_nlminb = sel_fit(0.025, list(optimizer = "nlminb")),
  interior_default = sel_fit(0.025)
)
# an empty interval: metafor 3.8-1 stops, whichever interval is empty
small_yi <- c(0.71, 0.35, 1.79, 0.18, 0.42, 0.60)
small_vi <- c(0.068, 0.039, 0.119, 0.014, 0.030, 0.060)
empty <- list()
for (st in list(c(0.01, 0.5), 0.5, c(0.025, 0.3, 0.6))) {
  res <- try(selmodel(rma(small_yi, small_vi, method = "ML", control = ctl),
                      type = "stepfun", steps = st), silent = TRUE)
  empty[[length(empty) + 1]] <- list(steps = st, error = inherits(res, "try-error"),
                                     message = if (inherits(res, "try-error"))
                                       conditionMessage(attr(res, "condition")) else "")
}
out$selmodel_empty <- list(yi = small_yi, vi = small_vi, cases = empty)

# 16. GOSH with REML: michael2013's SMDs (the tests compare every subset with pool()).
mich <- escalc(measure = "SMD", m1i = Brain_m, sd1i = Brain_s, n1i = Brain_n, m2i = No_brain_m,
               sd2i = No_brain_s, n2i = No_brain_n, data = dat.michael2013)
out$gosh_reml <- list(yi = num(mich$yi), vi = num(mich$vi))

# 17a. fsn, Orwin, with a target of the sign opposite to the mean effect: metafor flips it.
hack <- dat.hackshaw1998
fsn_cases <- list()
for (tg in c(-0.05, -0.1)) {
  f <- fsn(hack$yi, hack$vi, type = "Orwin", target = tg)
  fsn_cases[[length(fsn_cases) + 1]] <- list(given = tg, fsnum = num(f$fsnum),
                                             target = num(f$target), meanes = num(f$meanes))
}
out$fsn_orwin <- list(yi = num(hack$yi), vi = num(hack$vi), cases = fsn_cases)

# 17b. a collinear or constant moderator: metafor drops the redundant column with a warning.
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg$ablat2 <- 2 * bcg$ablat
bcg$const <- 5
fit_mods <- function(formula) {
  warned <- character(0)
  fit <- withCallingHandlers(
    rma(yi, vi, mods = formula, data = bcg, method = "REML", control = ctl),
    warning = function(w) { warned <<- c(warned, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(names = rownames(fit$beta), beta = num(fit$beta), se = num(fit$se), tau2 = num(fit$tau2),
       qm = num(fit$QM), qm_df = num(fit$m), warnings = warned)
}
out$collinear <- list(yi = num(bcg$yi), vi = num(bcg$vi), ablat = num(bcg$ablat),
                      year = num(bcg$year),
                      ablat_ablat2 = fit_mods(~ ablat + ablat2),
                      const = fit_mods(~ const + year))

# 17c. influence with k = 2
influence_k2 <- list()
for (m in c("REML", "DL", "FE")) {
  inf <- influence(rma(c(0.1, 0.5), c(0.01, 0.02), method = m, control = ctl))
  influence_k2[[m]] <- list(rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits),
                            cooks_d = num(inf$inf$cook.d), cov_ratio = num(inf$inf$cov.r),
                            tau2_del = num(inf$inf$tau2.del), q_del = num(inf$inf$QE.del),
                            hat = num(inf$inf$hat), weight = num(inf$inf$weight),
                            dfbetas = num(inf$dfbs$intrcpt), influential = as.logical(inf$is.infl))
}
out$influence_k2 <- list(yi = c(0.1, 0.5), vi = c(0.01, 0.02), fits = influence_k2)

# 9. Mantel-Haenszel not estimable: metafor's rma.mh returns NA, rma keeps the IV results.
mh <- list(
  no_events_arm2 = list(ai = c(3, 5, 2), n1i = c(20, 25, 18), ci = c(0, 0, 0), n2i = c(20, 24, 19)),
  all_double_zero = list(ai = c(0, 0, 0), n1i = c(20, 25, 18), ci = c(0, 0, 0), n2i = c(20, 24, 19))
)
mh_out <- list()
for (name in names(mh)) {
  d <- mh[[name]]
  cases <- list()
  for (measure in c("OR", "RR", "RD")) {
    fit <- suppressWarnings(try(rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i,
                                       measure = measure), silent = TRUE))
    es <- escalc(measure = measure, ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
    iv <- suppressWarnings(try(rma(yi, vi, data = es, method = "DL"), silent = TRUE))
    cases[[measure]] <- list(
      mh_estimate = if (inherits(fit, "try-error")) NA else num(fit$beta),
      mh_se = if (inherits(fit, "try-error")) NA else num(fit$se),
      mh_error = inherits(fit, "try-error"),
      iv_estimate = if (inherits(iv, "try-error")) NA else num(iv$beta),
      iv_k = if (inherits(iv, "try-error")) NA else num(iv$k))
  }
  mh_out[[name]] <- c(d, list(measures = cases))
}
out$mantel_haenszel <- mh_out

cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
