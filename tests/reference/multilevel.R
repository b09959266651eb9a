# Reference values for metareview.stats.multilevel (tests/test_multilevel_reference.py).
# Run from the repository root:  Rscript tests/reference/multilevel.R
# Needs R metafor 3.8-1 with metadat, clubSandwich and robumeta (Debian: r-cran-clubsandwich,
# r-cran-robumeta) and jsonlite; writes tests/reference/multilevel.json. The versions that made
# the stored file are recorded in its "software" field.
#
# Models are fitted at exact roots (optimizer bobyqa with rhoend 1e-12: the default nlminb stops ~1e-6 relative from the root on assink2016 and reports false convergence when its tolerance is tightened) and profile CIs with tol 1e-12, so the
# tests can compare at 1e-6 relative (1e-5 for profile-likelihood CIs).
#
# The multilevel I^2 is written out from its published definition (Cheung 2014, as dmetar's
# var.comp and metapsyTools compute it): the "typical" sampling variance
#   v~ = (k - 1) sum(w) / (sum(w)^2 - sum(w^2)),  w = 1/vi,
# and I^2 of a level = sigma^2_level / (sigma^2_between + sigma^2_within + v~) (sampling: v~ / ...).
suppressMessages({library(metafor); library(clubSandwich); library(robumeta); library(jsonlite)})
tight <- list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 100000)

konst <- dat.konstantopoulos2011
datasets <- list(
  konstantopoulos2011 = data.frame(study = konst$district, es = konst$school, yi = konst$yi,
                                   vi = konst$vi, x = konst$year - 1990),
  assink2016 = data.frame(study = dat.assink2016$study, es = dat.assink2016$esid,
                          yi = dat.assink2016$yi, vi = dat.assink2016$vi,
                          x = dat.assink2016$year, deltype = dat.assink2016$deltype)
)

i2_levels <- function(sigma2, vi) {
  w <- 1 / vi; k <- length(vi)
  typical <- (k - 1) * sum(w) / (sum(w)^2 - sum(w^2))
  total <- sum(sigma2) + typical
  list(sampling = 100 * typical / total, within = 100 * sigma2[2] / total,
       between = 100 * sigma2[1] / total, total = 100 * sum(sigma2) / total)
}

fit_model <- function(d, V, method, test, mods = NULL) {
  if (is.null(mods)) {
    rma.mv(yi, V, random = ~ 1 | study/es, data = d, method = method, test = test, control = tight)
  } else {
    rma.mv(yi, V, mods = mods, random = ~ 1 | study/es, data = d, method = method, test = test,
           control = tight)
  }
}

fit_out <- function(res) {
  list(beta = as.numeric(res$beta), se = as.numeric(res$se), ci_lower = as.numeric(res$ci.lb),
       ci_upper = as.numeric(res$ci.ub), statistic = as.numeric(res$zval),
       pvalue = as.numeric(res$pval), sigma2 = res$sigma2, loglik = as.numeric(logLik(res)),
       deviance = as.numeric(deviance(res)), aic = AIC(res), bic = BIC(res),
       qm = res$QM, qm_df = as.numeric(res$QMdf[!is.na(res$QMdf)]), qm_pvalue = res$QMp,
       qe = res$QE, qe_pvalue = res$QEp)
}

robust_out <- function(res, cluster, p) {
  cr1 <- robust(res, cluster = cluster)
  ct <- coef_test(res, vcov = "CR2", cluster = cluster, test = "Satterthwaite")
  ci <- conf_int(res, vcov = "CR2", cluster = cluster, test = "Satterthwaite", level = 0.95)
  out <- list(
    cr1 = list(se = as.numeric(cr1$se), df = cr1$ddf[1], statistic = as.numeric(cr1$zval),
               pvalue = as.numeric(cr1$pval), ci_lower = as.numeric(cr1$ci.lb),
               ci_upper = as.numeric(cr1$ci.ub), qm = cr1$QM, qm_df = as.numeric(cr1$QMdf),
               qm_pvalue = cr1$QMp),
    cr2 = list(se = ct$SE, df = ct$df_Satt, statistic = ct$tstat, pvalue = ct$p_Satt,
               ci_lower = ci$CI_L, ci_upper = ci$CI_U)
  )
  if (p > 1) {
    wt <- Wald_test(res, constraints = constrain_zero(2:p), vcov = "CR2", cluster = cluster,
                    test = "HTZ")
    out$htz <- list(coefficients = 2:p, fstat = wt$Fstat, df_num = wt$df_num,
                    df_denom = wt$df_denom, pvalue = wt$p_val)
  }
  out
}

threelevel <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (method in c("REML", "ML")) for (test in c("z", "t")) {
    res <- fit_model(d, d$vi, method, test)
    pred <- predict(res)
    prof <- confint(res, control = list(tol = 1e-12))
    r_b <- rma.mv(yi, vi, random = ~ 1 | study/es, data = d, method = method, test = test,
                  sigma2 = c(0, NA), control = tight)
    r_w <- rma.mv(yi, vi, random = ~ 1 | study/es, data = d, method = method, test = test,
                  sigma2 = c(NA, 0), control = tight)
    a_b <- anova(res, r_b); a_w <- anova(res, r_w)
    out <- fit_out(res)
    out$pi_lower <- pred$pi.lb; out$pi_upper <- pred$pi.ub
    out$sigma2_ci <- list(unname(prof[[1]]$random[1, 2:3]), unname(prof[[2]]$random[1, 2:3]))
    out$lrt <- list(between = list(statistic = a_b$LRT, pvalue = a_b$pval),
                    within = list(statistic = a_w$LRT, pvalue = a_w$pval))
    out$i2 <- i2_levels(res$sigma2, d$vi)
    out$robust <- robust_out(res, d$study, 1)
    threelevel[[length(threelevel) + 1]] <- list(dataset = name, method = method, test = test,
                                                 result = out)
  }
}

moderators <- list()
mod_specs <- list(list(dataset = "konstantopoulos2011", columns = "x", formula = ~ x),
                  list(dataset = "assink2016", columns = c("x", "deltype"), formula = ~ x + deltype))
for (spec in mod_specs) {
  d <- datasets[[spec$dataset]]
  for (test in c("z", "t")) {
    res <- fit_model(d, d$vi, "REML", test, spec$formula)
    out <- fit_out(res)
    out$robust <- robust_out(res, d$study, res$p)
    out$design <- unname(model.matrix(spec$formula, data = d))
    moderators[[length(moderators) + 1]] <- list(dataset = spec$dataset, test = test,
                                                 result = out)
  }
}

che <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (rho in c(0.6, 0.8)) for (smooth in c(FALSE, TRUE)) {
    V <- impute_covariance_matrix(d$vi, cluster = d$study, r = rho, smooth_vi = smooth,
                                  return_list = FALSE)
    res <- fit_model(d, V, "REML", "t")
    pred <- predict(res)
    out <- fit_out(res)
    out$pi_lower <- pred$pi.lb; out$pi_upper <- pred$pi.ub
    out$robust <- robust_out(res, d$study, 1)
    out$V_diag <- diag(V)
    out$V_first_block <- V[d$study == d$study[1], d$study == d$study[1]]
    che[[length(che) + 1]] <- list(dataset = name, rho = rho, smooth_vi = smooth, result = out)
  }
}

robumeta_cases <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (weights in c("CORR", "HIER")) for (small in c(TRUE, FALSE)) for (with_mod in c(FALSE, TRUE)) {
    rho <- 0.8
    f <- if (with_mod) yi ~ x else yi ~ 1
    r <- robu(f, data = d, studynum = study, var.eff.size = vi, rho = rho,
              modelweights = weights, small = small)
    rt <- r$reg_table
    robumeta_cases[[length(robumeta_cases) + 1]] <- list(
      dataset = name, weights = weights, small = small, moderator = with_mod, rho = rho,
      result = list(beta = rt$b.r, se = rt$SE, statistic = rt$t, df = rt$dfs, pvalue = rt$prob,
                    ci_lower = rt$CI.L, ci_upper = rt$CI.U,
                    tau2 = as.numeric(r$mod_info$tau.sq),
                    omega2 = if (weights == "HIER") as.numeric(r$mod_info$omega.sq) else NULL))
  }
}

# A boundary fit: every school of a district given the district's mean effect, so the
# within-district variance is 0 (metafor stops at ~1e-12 and reports it as 0.0000).
b <- datasets$konstantopoulos2011
b$yi <- ave(b$yi, b$study)
rb <- fit_model(b, b$vi, "REML", "z")
prof_b <- confint(rb, control = list(tol = 1e-12))
boundary <- c(fit_out(rb), list(yi = b$yi, sigma2_ci = list(unname(prof_b[[1]]$random[1, 2:3]),
                                                         unname(prof_b[[2]]$random[1, 2:3]))))

data_out <- lapply(datasets, function(d) as.list(d))
doc <- list(
  software = paste0("R metafor ", packageVersion("metafor"), " / metadat ", packageVersion("metadat"),
                    " / clubSandwich ", packageVersion("clubSandwich"),
                    " / robumeta ", packageVersion("robumeta")),
  published = list(konstantopoulos2011 = list(estimate = 0.1847, se = 0.0846,
                                              sigma2 = c(0.0651, 0.0327),
                                              sigma2_ci = list(c(0.0222, 0.2072), c(0.0163, 0.0628)))),
  data = data_out, threelevel = threelevel, moderators = moderators, che = che,
  robumeta = robumeta_cases, boundary = boundary
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, dataframe = "columns", null = "null",
                  pretty = FALSE, matrix = "rowmajor"),
           "tests/reference/multilevel.json")
