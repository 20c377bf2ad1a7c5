"""Methods appendix: what each statistic in the reports is, and where it comes from.

Every report ends with :func:`methods_html` for the statistics it used, so that a reviewer can trace
each number to a published method.

>>> "Cronbach" in methods_html(["cronbach_alpha"], "en")
True
"""

from __future__ import annotations

import html

METHODS: dict[str, dict[str, str]] = {
    "pseudonymisation": {
        "en": "Recipient identifiers are replaced by keyed pseudonyms, HMAC-SHA256(key, id) truncated to 16 hex digits; names and phones are dropped at ingestion.",
        "ru": "Идентификаторы получателей заменены псевдонимами HMAC-SHA256(ключ, id), первые 16 знаков; ФИО и телефоны удаляются при загрузке.",
        "ref": "Krawczyk H, Bellare M, Canetti R (1997). HMAC: Keyed-Hashing for Message Authentication. RFC 2104.",
    },
    "quarantine": {
        "en": "Rows that break the data contract are quarantined with file, row, column and reason; rows read = rows accepted + rows quarantined.",
        "ru": "Строки, нарушающие формат данных, помещаются в карантин с указанием файла, строки, столбца и причины; прочитано = принято + в карантине.",
        "ref": "Data contract: data/raw/README.md of this workbench.",
    },
    "pomp": {
        "en": "Item scores on 0-100: (code - min) / (max - min) x 100, reverse-keyed items mirrored (linear mean score, percent of maximum possible).",
        "ru": "Баллы вопросов по шкале 0-100: (код - мин) / (макс - мин) x 100, обратные вопросы зеркально (процент от максимально возможного).",
        "ref": "Cohen P, Cohen J, Aiken LS, West SG (1999). The problem of units and the circumstance for POMP. Multivariate Behavioral Research 34:315-346.",
    },
    "cronbach_alpha": {
        "en": "Cronbach's alpha with the Feldt 95% confidence interval.",
        "ru": "Альфа Кронбаха с 95% доверительным интервалом по Фельдту.",
        "ref": "Cronbach LJ (1951). Psychometrika 16:297-334; Feldt LS, Woodruff DJ, Salih FA (1987). Applied Psychological Measurement 11:93-103.",
    },
    "omega": {
        "en": "McDonald's omega (total) from a one-factor model.",
        "ru": "Омега Макдональда (общая) по однофакторной модели.",
        "ref": "McDonald RP (1999). Test Theory: A Unified Treatment. Erlbaum.",
    },
    "mixed_model": {
        "en": "Linear mixed model (REML) with crossed random intercepts for social worker, interviewer and recipient (the two interviews of a recipient and a recipient seen in several years are not independent); interviewer role and interview mode as fixed effects. Adjusted scores are best linear unbiased predictions (shrunk towards the mean where evidence is thin); raw worker means have cluster-robust t intervals over recipients.",
        "ru": "Линейная смешанная модель (REML) с перекрёстными случайными эффектами социального работника, опрашивающего и получателя (два интервью одного получателя и получатель, опрошенный в разные годы, не независимы); роль опрашивающего и способ опроса — фиксированные эффекты. Скорректированные оценки — наилучшие линейные несмещённые прогнозы (BLUP); для простых средних работников — кластерно-устойчивые t-интервалы по получателям.",
        "ref": "Henderson CR (1975). Biometrics 31:423-447; Searle SR, Casella G, McCulloch CE (1992). Variance Components. Wiley; Seabold S, Perktold J (2010). statsmodels. Proc. SciPy.",
    },
    "worker_flags": {
        "en": "Recognition and concern lists test each worker's effect against the organisation mean with its prediction error (the worker's diagonal of the inverse mixed-model coefficient matrix); changes over the years come from a mixed model with a slope per worker on the logit of the score, relative to the organisation's year means. Both hold the chance of any false listing at 5% across the workers compared (Holm); with no true differences among 15 workers it was 0.0% (lists) and 3.5% (changes) in simulation.",
        "ru": "Списки для поощрения и внимания проверяют эффект каждого работника против среднего по организации с его ошибкой прогноза (диагональ обратной матрицы смешанной модели); изменения по годам — из смешанной модели с наклоном для каждого работника на логит-шкале оценки относительно средних организации по годам. Вероятность хотя бы одного ложного попадания в список ограничена 5% по всем сравниваемым работникам (метод Холма); при отсутствии различий между 15 работниками в имитации — 0,0% (списки) и 3,5% (изменения).",
        "ref": "Henderson CR (1975). Biometrics 31:423-447; Holm S (1979). Scand J Stat 6:65-70; Goldstein H, Spiegelhalter DJ (1996). JRSS A 159:385-443.",
    },
    "design_weights": {
        "en": "Organisation-level means use inverse-probability design weights from the roster with stratified, finite-population-corrected standard errors.",
        "ru": "Оценки по организации используют веса, обратные вероятностям отбора, и стратифицированные стандартные ошибки с поправкой на конечность совокупности.",
        "ref": "Lohr SL (2019). Sampling: Design and Analysis, 2nd ed., ch. 3. CRC Press.",
    },
    "kappa": {
        "en": "Cohen's kappa (unweighted, linear, quadratic), Scott's pi, Fleiss' kappa; bands of Landis & Koch.",
        "ru": "Каппа Коэна (невзвешенная, линейная, квадратичная), пи Скотта, каппа Флейса; шкала Лэндиса и Коха.",
        "ref": "Cohen J (1960). Educ Psychol Meas 20:37-46; Scott WA (1955). Public Opinion Quarterly 19:321-325; Fleiss JL (1971). Psychol Bull 76:378-382; Landis JR, Koch GG (1977). Biometrics 33:159-174.",
    },
    "gwet": {
        "en": "Gwet's AC1/AC2 and the Brennan-Prediger coefficient, which stay meaningful when answers pile up at the top of the scale (kappa paradox).",
        "ru": "Коэффициенты Гвета AC1/AC2 и Бреннана-Предигера, устойчивые при скоплении ответов у верхней границы шкалы (парадокс каппы).",
        "ref": "Gwet KL (2008). Br J Math Stat Psychol 61:29-48; Brennan RL, Prediger DJ (1981). Educ Psychol Meas 41:687-699; Feinstein AR, Cicchetti DV (1990). J Clin Epidemiol 43:543-549.",
    },
    "krippendorff": {
        "en": "Krippendorff's alpha (nominal, ordinal, interval); 0.667 and 0.800 as the thresholds for tentative and reliable conclusions.",
        "ru": "Альфа Криппендорфа (номинальная, порядковая, интервальная); пороги 0,667 и 0,800.",
        "ref": "Krippendorff K (2011). Computing Krippendorff's Alpha-Reliability. Univ. of Pennsylvania; Krippendorff K (2004). Content Analysis, 2nd ed.",
    },
    "icc": {
        "en": "Intraclass correlations (six Shrout-Fleiss forms) with F tests and confidence intervals; bands of Koo & Li.",
        "ru": "Внутриклассовые корреляции (шесть форм Шраута-Флейса) с F-критериями и доверительными интервалами; шкала Ку и Ли.",
        "ref": "Shrout PE, Fleiss JL (1979). Psychol Bull 86:420-428; McGraw KO, Wong SP (1996). Psychol Methods 1:30-46; Koo TK, Li MY (2016). J Chiropr Med 15:155-163.",
    },
    "bland_altman": {
        "en": "Bland-Altman bias and 95% limits of agreement with their confidence intervals.",
        "ru": "Смещение и 95% пределы согласия Бланда-Альтмана с доверительными интервалами.",
        "ref": "Bland JM, Altman DG (1986). Lancet i:307-310; Bland JM, Altman DG (1999). Stat Methods Med Res 8:135-160.",
    },
    "stuart_maxwell": {
        "en": "Stuart-Maxwell test of marginal homogeneity (does one role use the scale differently?) and Bowker's test of symmetry.",
        "ru": "Критерий Стюарта-Максвелла однородности маргиналов и критерий симметрии Боукера.",
        "ref": "Stuart A (1955). Biometrika 42:412-416; Maxwell AE (1970). Br J Psychiatry 116:651-655; Bowker AH (1948). JASA 43:572-574.",
    },
    "wilcoxon": {
        "en": "Wilcoxon signed-rank test of systematic leniency with the matched-pairs rank-biserial correlation.",
        "ru": "Критерий Уилкоксона для связанных выборок и рангово-бисериальная корреляция.",
        "ref": "Wilcoxon F (1945). Biometrics Bulletin 1:80-83; Kerby DS (2014). Comprehensive Psychology 3:11.",
    },
    "bootstrap": {
        "en": "Agreement intervals: by default the interviewers are resampled as clusters (two-way pigeonhole bootstrap over volunteer x social-worker interviewers, 2,000 seeded resamples of the per-cluster tables, percentile interval), so the intervals hold for other interviewers of the same kind, not only these; with pairs resampled as independent units (option) the interval is BCa and conditional on these interviewers. Percent agreement with independent pairs: exact Clopper-Pearson interval. A coefficient whose resamples are all equal or undefined in more than 5% of resamples gets no interval, with the reason; the undefined share is reported. Design-weighted tables weight each pair by its stratum's population / pairs sampled.",
        "ru": "Интервалы согласия: по умолчанию опрашивающие пересэмплируются как кластеры (двусторонний бутстрэп «голубятни» по волонтёрам и опрашивающим-социальным работникам, 2000 повторов по таблицам кластеров с фиксированным зерном, процентильный интервал), поэтому интервал относится к опрашивающим того же рода вообще, а не только к этим; при пересэмплировании пар как независимых единиц (вариант) — интервал BCa, условный на этих опрашивающих. Процент совпадений для независимых пар — точный интервал Клоппера-Пирсона. Если все повторы совпадают или коэффициент не определён более чем в 5% повторов, интервал не приводится и указывается причина; доля неопределённых повторов сообщается. В таблицах с весами каждая пара весит численность страты / число пар в выборке страты.",
        "ref": "Owen AB (2007). The pigeonhole bootstrap. Annals of Applied Statistics 1:386-411; Efron B (1987). JASA 82:171-185; Clopper CJ, Pearson ES (1934). Biometrika 26:404-413.",
    },
    "wilson": {
        "en": "Wilson score intervals for shares.",
        "ru": "Интервалы Уилсона для долей.",
        "ref": "Wilson EB (1927). JASA 22:209-212; Brown LD, Cai TT, DasGupta A (2001). Statistical Science 16:101-133.",
    },
    "constant_instrument": {
        "en": "Years are compared on a constant instrument: yearly means of a linear mixed model (year, interviewer role and mode, and the department at its population share as fixed effects; random intercepts for social worker, interviewer and recipient, REML on Henderson's equations) standardised to a volunteer interviewing in person, the only interviewer present in every year. A recipient interviewed twice, or again in a later year, is one unit. Figures over all interviews as conducted depend on the interviewer mix (social-worker interviewers, who score lower, only from 2020) and are shown for reference; their year differences use the covariance of overlapping samples of recipients.",
        "ru": "Годы сравниваются при постоянном инструменте: годовые средние линейной смешанной модели (год, роль опрашивающего и способ опроса, подразделение с его долей в обслуживаемом населении — фиксированные эффекты; случайные эффекты социального работника, опрашивающего и получателя; REML по уравнениям Хендерсона), стандартизованные к личному интервью волонтёра — единственному опрашивающему, который был во все годы. Получатель, опрошенный дважды или повторно в другом году, — одна единица. Оценки по всем интервью как есть зависят от состава опрашивающих (социальные работники, ставящие ниже, — только с 2020 г.) и приводятся для справки; их разности учитывают ковариацию пересекающихся выборок получателей.",
        "ref": "Zaslavsky AM (2001). Int J Qual Health Care 13:481-488; O'Malley AJ et al. (2005). Health Serv Res 40:2162-2181; Little RJA (1993). JASA 88:1001-1012; Henderson CR (1975). Biometrics 31:423-447; Searle SR, Casella G, McCulloch CE (1992). Variance Components. Wiley; Kish L (1965). Survey Sampling, sec. 12.4. Wiley.",
    },
    "trends": {
        "en": "Pairwise year contrasts Holm-adjusted; a contrast that is not significant is reported as the range of changes that cannot be excluded (interval at the Bonferroni level alpha/m, which contains zero whenever Holm does not reject), with the minimum detectable difference at 80% power at that same level - never as 'no change'; linear trend as a contrast of the yearly means with their covariance; ordinal (cumulative logit) regression of item answers on year; Cliff's delta.",
        "ru": "Попарные сравнения лет с поправкой Холма; незначимое сравнение описывается диапазоном изменений, которые нельзя исключить (интервал на уровне Бонферрони α/m, содержащий ноль всякий раз, когда поправка Холма не отвергает гипотезу), и минимально обнаружимым различием при мощности 80% на том же уровне — но не как «отсутствие изменений»; линейный тренд — контраст годовых средних с их ковариацией; порядковая логистическая регрессия; дельта Клиффа.",
        "ref": "Holm S (1979). Scand J Stat 6:65-70; Bloom HS (1995). Evaluation Review 19:547-556; Rosenthal R, Rosnow RL (1985). Contrast Analysis. CUP; McCullagh P (1980). JRSS B 42:109-142; Cliff N (1993). Psychol Bull 114:494-509; Cohen J (1988). Statistical Power Analysis, 2nd ed.",
    },
}


def methods_html(keys: list[str], lang: str = "en") -> str:
    """The methods appendix as HTML: a heading and one item per statistic (description and reference)."""
    unknown = [k for k in keys if k not in METHODS]
    if unknown:
        raise KeyError(f"no methods entry for {unknown}; add it to helpers.narrative.methods.METHODS")
    title = "Methods and references" if lang == "en" else "Методы и источники"
    items = "".join(f"<li>{html.escape(METHODS[k][lang])} <i>{html.escape(METHODS[k]['ref'])}</i></li>" for k in keys)
    return f'<h2 id="methods">{title}</h2><ol>{items}</ol>'
