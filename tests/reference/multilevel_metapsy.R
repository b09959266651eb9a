# metapsyTools (>= 1.0.4) three-level and CHE models, written out from its documented defaults
# (metapsyTools itself is not installable here), for tests/test_multilevel_preset.py.
# Run from the repository root:  Rscript tests/reference/multilevel_metapsy.R
# Needs metafor 3.8-1, metadat, clubSandwich and jsonlite; writes multilevel_metapsy.json.
#
# runMetaAnalysis's "threelevel" model: rma.mv(random = ~ 1 | study/es, method = "REML",
# test = "t"); its "threelevel.che" model: V = impute_covariance_matrix(vi, study,
# r = rho.within.study = 0.6, smooth_vi = TRUE), the same rma.mv on V, CR2 robust inference
# (clubSandwich coef_test / conf_int, Satterthwaite df); the prediction interval on k - 1 df
# with the robust SE of the CHE model (the model SE for the three-level model).
suppressMessages({library(metafor); library(clubSandwich); library(jsonlite)})
tight <- list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 100000)
konst <- dat.konstantopoulos2011
datasets <- list(
  konstantopoulos2011 = data.frame(study = konst$district, es = konst$school, yi = konst$yi,
                                   vi = konst$vi),
  assink2016 = data.frame(study = dat.assink2016$study, es = dat.assink2016$esid,
                          yi = dat.assink2016$yi, vi = dat.assink2016$vi)
)
rho <- 0.6
pi_k1 <- function(est, se, sigma2, k) est + c(-1, 1) * qt(0.975, k - 1) * sqrt(se^2 + sum(sigma2))
# runMetaAnalysis's NNT column: Furukawa & Leucht (2011) with nnt.cer = 0.2, as an absolute value
nnt <- function(g, cer = 0.2) abs(1 / (pnorm(g + qnorm(cer)) - cer))
cases <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  k <- nrow(d)
  tl <- rma.mv(yi, vi, random = ~ 1 | study/es, data = d, method = "REML", test = "t",
               control = tight)
  V <- impute_covariance_matrix(d$vi, cluster = d$study, r = rho, smooth_vi = TRUE)
  che <- rma.mv(yi, V, random = ~ 1 | study/es, data = d, method = "REML", test = "t",
                control = tight)
  ct <- coef_test(che, vcov = "CR2", cluster = d$study, test = "Satterthwaite")
  ci <- conf_int(che, vcov = "CR2", cluster = d$study, test = "Satterthwaite")
  cases[[name]] <- list(
    threelevel = list(estimate = as.numeric(tl$beta), se = tl$se, ci_lower = tl$ci.lb,
                      ci_upper = tl$ci.ub, pvalue = tl$pval, sigma2 = tl$sigma2,
                      pi = pi_k1(as.numeric(tl$beta), tl$se, tl$sigma2, k),
                      nnt = nnt(as.numeric(tl$beta))),
    che = list(estimate = as.numeric(che$beta), se = che$se, sigma2 = che$sigma2,
               robust_se = ct$SE, robust_df = ct$df_Satt, robust_pvalue = ct$p_Satt,
               robust_ci = c(ci$CI_L, ci$CI_U),
               pi = pi_k1(as.numeric(che$beta), ct$SE, che$sigma2, k),
               nnt = nnt(as.numeric(che$beta)))
  )
}
doc <- list(software = paste0("R metafor ", packageVersion("metafor"), " / clubSandwich ",
                              packageVersion("clubSandwich"), "; metapsyTools >= 1.0.4 defaults written out"),
            rho = rho, data = lapply(datasets, as.list), cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, pretty = FALSE),
           "tests/reference/multilevel_metapsy.json")
