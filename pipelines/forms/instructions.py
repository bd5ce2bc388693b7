"""What a blank form tells the person filling it, in the form's language.

Only the sentences live here. Every name they mention (sheet names, Cover labels, column headers,
indicator codes, the Prisons marks) is filled in from `pipelines/reference/form.json` when the text
is built, so renaming a header there renames it in the instructions and the cell prompts too.

Two products: `instruction_lines()` for the Instructions sheet, and `messages()` for the prompts and
error boxes of the cells' data validations (Excel caps those at 32 characters for a title and 255
for a text; `pipelines/forms/template_rules.py` checks the caps).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.reference import form

# Observation status (spec: "A cell holds a non-negative number, or one of these marks") -> wording.
_STATUS_WORDS = {
    "EN": {"M": "not available", "Z": "not applicable", "E": "estimated", "P": "provisional"},
    "FR": {"M": "non disponible", "Z": "sans objet", "E": "estimation", "P": "provisoire"},
    "ES": {"M": "no disponible", "Z": "no procede", "E": "estimación", "P": "provisional"},
    "RU": {"M": "нет данных", "Z": "неприменимо", "E": "оценка", "P": "предварительные данные"},
}

# Cell prompts and error texts. Placeholders: {year}, {activities} (the Activities sheet's name),
# {marks} (the Prisons marks, built from form.json).
_MESSAGES = {
    "EN": {
        "invalid": "Invalid value",
        "check": "Please check",
        "choose": "Choose from the list.",
        "choose_error": "Please choose a value from the list.",
        "choose_many": "Choose one from the list, or type several separated by ';'.",
        "choose_many_error": "Only values from the list, separated by ';', are accepted. Keep this entry?",
        "several": "Several: separate them with ';'.",
        "whole": "A whole number, 0 or more.",
        "whole_error": "Please enter a whole number, 0 or more.",
        "not_above_total": "A whole number, not more than the total.",
        "not_above_total_error": "Please enter a whole number from 0 to the total.",
        "number": "A number (below 0 only for a decrease, e.g. a percentage that fell).",
        "number_error": "Please enter a number.",
        "start_date": "A date, not after 31 December {year}.",
        "start_date_error": "Please enter a date, not after 31 December {year}.",
        "end_date": "A date, not before the start date nor before 1 January {year}.",
        "end_date_error": "Please enter a date, not before the start date nor before 1 January {year}.",
        "submission_date": "A date from 1 January {year} to today.",
        "submission_date_error": "Please enter a date from 1 January {year} to today.",
        "email": "An e-mail address, e.g. name@example.org.",
        "email_error": "Please enter an e-mail address.",
        "unique_id": "Your own reference: a text no other row of this sheet uses.",
        "unique_id_error": "This ID is already used in another row.",
        "related_id": "An Activity ID from the sheet {activities}.",
        "related_id_error": "This ID is not in the sheet {activities}. Keep it?",
        "prison_cell": "A number, 0 or more, or {marks}; leave empty if not reported.",
        "prison_cell_error": "Please enter a number or one of: {marks}.",
    },
    "FR": {
        "invalid": "Valeur non valide",
        "check": "Vérification",
        "choose": "Choisissez dans la liste.",
        "choose_error": "Veuillez choisir une valeur dans la liste.",
        "choose_many": "Choisissez dans la liste, ou saisissez-en plusieurs séparées par « ; ».",
        "choose_many_error": "Seules les valeurs de la liste, séparées par « ; », sont admises. Conserver ?",
        "several": "Plusieurs : séparez-les par « ; ».",
        "whole": "Un nombre entier, 0 ou plus.",
        "whole_error": "Veuillez saisir un nombre entier, 0 ou plus.",
        "not_above_total": "Un nombre entier, au plus égal au total.",
        "not_above_total_error": "Veuillez saisir un nombre entier entre 0 et le total.",
        "number": "Un nombre (négatif seulement pour une baisse, par exemple un pourcentage en recul).",
        "number_error": "Veuillez saisir un nombre.",
        "start_date": "Une date, au plus tard le 31 décembre {year}.",
        "start_date_error": "Veuillez saisir une date, au plus tard le 31 décembre {year}.",
        "end_date": "Une date, ni antérieure à la date de début ni au 1er janvier {year}.",
        "end_date_error": (
            "Veuillez saisir une date, ni antérieure à la date de début ni au 1er janvier {year}."
        ),
        "submission_date": "Une date entre le 1er janvier {year} et aujourd'hui.",
        "submission_date_error": "Veuillez saisir une date entre le 1er janvier {year} et aujourd'hui.",
        "email": "Une adresse électronique, p. ex. nom@example.org.",
        "email_error": "Veuillez saisir une adresse électronique.",
        "unique_id": "Votre propre référence : un texte qu'aucune autre ligne de la feuille n'utilise.",
        "unique_id_error": "Cet identifiant est déjà utilisé dans une autre ligne.",
        "related_id": "Un identifiant d'activité de la feuille {activities}.",
        "related_id_error": "Cet identifiant ne figure pas dans la feuille {activities}. Le conserver ?",
        "prison_cell": "Un nombre, 0 ou plus, ou {marks} ; laissez vide si non communiqué.",
        "prison_cell_error": "Veuillez saisir un nombre ou l'une des marques : {marks}.",
    },
    "ES": {
        "invalid": "Valor no válido",
        "check": "Compruebe",
        "choose": "Elija de la lista.",
        "choose_error": "Elija un valor de la lista.",
        "choose_many": "Elija uno de la lista o escriba varios separados por ';'.",
        "choose_many_error": "Solo se aceptan valores de la lista separados por ';'. ¿Conservar?",
        "several": "Varios: sepárelos con ';'.",
        "whole": "Un número entero, 0 o más.",
        "whole_error": "Escriba un número entero, 0 o más.",
        "not_above_total": "Un número entero, no mayor que el total.",
        "not_above_total_error": "Escriba un número entero entre 0 y el total.",
        "number": "Un número (negativo solo para una disminución, por ejemplo un porcentaje que bajó).",
        "number_error": "Escriba un número.",
        "start_date": "Una fecha, no posterior al 31 de diciembre de {year}.",
        "start_date_error": "Escriba una fecha, no posterior al 31 de diciembre de {year}.",
        "end_date": "Una fecha, no anterior a la fecha de inicio ni al 1 de enero de {year}.",
        "end_date_error": "Escriba una fecha, no anterior a la fecha de inicio ni al 1 de enero de {year}.",
        "submission_date": "Una fecha entre el 1 de enero de {year} y hoy.",
        "submission_date_error": "Escriba una fecha entre el 1 de enero de {year} y hoy.",
        "email": "Una dirección de correo electrónico, p. ej. nombre@example.org.",
        "email_error": "Escriba una dirección de correo electrónico.",
        "unique_id": "Su propia referencia: un texto que ninguna otra fila de la hoja utilice.",
        "unique_id_error": "Este ID ya se utiliza en otra fila.",
        "related_id": "Un ID de actividad de la hoja {activities}.",
        "related_id_error": "Este ID no figura en la hoja {activities}. ¿Conservarlo?",
        "prison_cell": "Un número, 0 o más, o {marks}; deje la celda vacía si no se informa.",
        "prison_cell_error": "Escriba un número o una de estas marcas: {marks}.",
    },
    "RU": {
        "invalid": "Недопустимое значение",
        "check": "Проверьте",
        "choose": "Выберите значение из списка.",
        "choose_error": "Выберите значение из списка.",
        "choose_many": "Выберите значение из списка или введите несколько через «;».",
        "choose_many_error": "Принимаются только значения из списка, разделенные «;». Оставить?",
        "several": "Несколько значений разделяйте знаком «;».",
        "whole": "Целое число, 0 или больше.",
        "whole_error": "Введите целое число, 0 или больше.",
        "not_above_total": "Целое число, не больше общего числа.",
        "not_above_total_error": "Введите целое число от 0 до общего числа.",
        "number": "Число (отрицательное только для снижения, например процента, который уменьшился).",
        "number_error": "Введите число.",
        "start_date": "Дата не позднее 31 декабря {year} г.",
        "start_date_error": "Введите дату не позднее 31 декабря {year} г.",
        "end_date": "Дата не ранее даты начала и не ранее 1 января {year} г.",
        "end_date_error": "Введите дату не ранее даты начала и не ранее 1 января {year} г.",
        "submission_date": "Дата с 1 января {year} г. по сегодняшний день.",
        "submission_date_error": "Введите дату с 1 января {year} г. по сегодняшний день.",
        "email": "Адрес электронной почты, например name@example.org.",
        "email_error": "Введите адрес электронной почты.",
        "unique_id": "Ваш собственный номер: текст, не повторяющийся в других строках листа.",
        "unique_id_error": "Этот идентификатор уже использован в другой строке.",
        "related_id": "Идентификатор мероприятия с листа «{activities}».",
        "related_id_error": "Этого идентификатора нет на листе «{activities}». Оставить?",
        "prison_cell": "Число, 0 или больше, или {marks}; если данных не представлено, оставьте пустым.",
        "prison_cell_error": "Введите число или одну из отметок: {marks}.",
    },
}

# The Instructions sheet: (style, text) per line; style is title | heading | text | item, and a
# `marks` line stands for the Prisons marks of form.json, one line each.
# Placeholders are filled from form.json by `_names()`; sheet names are quoted where they appear.
_INSTRUCTIONS = {
    "EN": [
        ("title", "Annual return on crime prevention and criminal justice: reporting year {year}"),
        ("text", "Form version {version}, in English. One workbook per member State and reporting year; "
                 "send it back as .xlsx, named with the State's ISO code and the year, e.g. {file_example}."),
        ("heading", "How to fill in the form"),
        ("item", "Type only in the white cells. Shaded cells (headers, labels and prefilled values) are "
                 "locked: please do not rename the sheets or change the headers."),
        ("item", "Where a cell offers a list, choose from it. Enter dates as dates (e.g. {date_example}) "
                 "and numbers as plain numbers, without units. A note under each cell says what it expects."),
        ("item", "The hidden sheet {lists} feeds the lists; please leave it as it is."),
        ("heading", "{cover}"),
        ("item", "Choose the {member_state} from the list and give the {institution} (required), the "
                 "{focal_point}, the {email} and the {submission_date}. {reporting_year}, {template_version} "
                 "and {language} are filled in already."),
        ("heading", "{activities}"),
        ("item", "One row per technical-assistance activity that took place in {year}, or that started "
                 "before and continued into {year}. Start in row 2 and leave no blank row between "
                 "activities: a blank row ends the table."),
        ("item", "{activity_id}: your own reference, used once in the sheet (if left blank, one is "
                 "derived). {thematic_area}, {activity_type}, {title} and {start_date} are required; "
                 "{participants_women} cannot exceed {participants_total}."),
        ("item", "{standards}: choose one from the list; for several, type them separated by ';'. "
                 "{partners}: separate several partners with ';'."),
        ("heading", "{prisons}"),
        ("item", "One value per indicator and year: {year} and the four years before it. A value for an "
                 "earlier year corrects the figure published for that year. Leave a cell empty if you do "
                 "not report it."),
        ("item", "Write a plain number, or one of these marks:"),
        ("marks", ""),
        ("item", "{male} + {female} must equal {total}; {of_which} cannot exceed {total}. A change of "
                 "more than 50 % from the year before is flagged: explain it in {notes}."),
        ("heading", "{outcomes}"),
        ("item", "One row per result of the assistance. {outcome_area}, {result_type}, {description} and "
                 "{status} are required; give the {unit} whenever you give a {value}. {related_activity}: "
                 "choose the {activity_id} of a row of the sheet {activities}."),
    ],
    "FR": [
        ("title", "Questionnaire annuel sur la prévention du crime et la justice pénale : "
                  "année de référence {year}"),
        ("text", "Version du formulaire {version}, en français. Un classeur par État Membre et par année de "
                 "référence ; renvoyez-le au format .xlsx, nommé avec le code ISO de l'État et l'année, "
                 "p. ex. {file_example}."),
        ("heading", "Comment remplir le formulaire"),
        ("item", "Saisissez uniquement dans les cellules blanches. Les cellules grisées (en-têtes, "
                 "libellés et valeurs préremplies) sont verrouillées : ne renommez pas les feuilles et ne "
                 "modifiez pas les en-têtes."),
        ("item", "Lorsqu'une cellule propose une liste, choisissez-y la valeur. Saisissez les dates comme "
                 "des dates (p. ex. {date_example}) et les nombres sans unité. Une note sous chaque cellule "
                 "indique ce qu'elle attend."),
        ("item", "La feuille masquée {lists} alimente les listes ; laissez-la telle quelle."),
        ("heading", "{cover}"),
        ("item", "Choisissez l'{member_state} dans la liste et indiquez l'{institution} (obligatoire), le "
                 "{focal_point}, le {email} et la {submission_date}. {reporting_year}, {template_version} "
                 "et {language} sont déjà remplis."),
        ("heading", "{activities}"),
        ("item", "Une ligne par activité d'assistance technique menée en {year}, ou commencée avant et "
                 "poursuivie en {year}. Commencez à la ligne 2 et ne laissez aucune ligne vide entre les "
                 "activités : une ligne vide termine le tableau."),
        ("item", "{activity_id} : votre propre référence, utilisée une seule fois dans la feuille (si elle "
                 "est laissée vide, une référence est calculée). {thematic_area}, {activity_type}, "
                 "{title} et {start_date} sont obligatoires ; {participants_women} ne peut dépasser "
                 "{participants_total}."),
        ("item", "{standards} : choisissez-en une dans la liste ; pour plusieurs, saisissez-les séparées "
                 "par « ; ». {partners} : séparez plusieurs partenaires par « ; »."),
        ("heading", "{prisons}"),
        ("item", "Une valeur par indicateur et par année : {year} et les quatre années précédentes. Une "
                 "valeur pour une année antérieure corrige le chiffre publié pour cette année. Laissez la "
                 "cellule vide si vous ne communiquez pas la donnée."),
        ("item", "Saisissez un nombre, ou l'une des marques suivantes :"),
        ("marks", ""),
        ("item", "{male} + {female} doit être égal à {total} ; {of_which} ne peuvent dépasser {total}. Une "
                 "variation de plus de 50 % par rapport à l'année précédente est signalée : expliquez-la "
                 "dans {notes}."),
        ("heading", "{outcomes}"),
        ("item", "Une ligne par résultat de l'assistance. {outcome_area}, {result_type}, {description} et "
                 "{status} sont obligatoires ; indiquez l'{unit} chaque fois que vous indiquez une "
                 "{value}. {related_activity} : choisissez l'{activity_id} d'une ligne de la feuille "
                 "{activities}."),
    ],
    "ES": [
        ("title", "Cuestionario anual sobre prevención del delito y justicia penal: "
                  "año de referencia {year}"),
        ("text", "Versión del formulario {version}, en español. Un libro por Estado Miembro y año de "
                 "referencia; devuélvalo en formato .xlsx, con el código ISO del Estado y el año en el "
                 "nombre, p. ej. {file_example}."),
        ("heading", "Cómo rellenar el formulario"),
        ("item", "Escriba solo en las celdas blancas. Las celdas sombreadas (encabezados, etiquetas y "
                 "valores ya rellenados) están bloqueadas: no cambie el nombre de las hojas ni los "
                 "encabezados."),
        ("item", "Cuando una celda ofrece una lista, elija de ella. Escriba las fechas como fechas (p. ej. "
                 "{date_example}) y los números sin unidades. Una nota en cada celda indica lo que espera."),
        ("item", "La hoja oculta {lists} alimenta las listas; no la modifique."),
        ("heading", "{cover}"),
        ("item", "Elija el {member_state} de la lista e indique la {institution} (obligatoria), el "
                 "{focal_point}, el {email} y la {submission_date}. {reporting_year}, {template_version} e "
                 "{language} ya están rellenados."),
        ("heading", "{activities}"),
        ("item", "Una fila por actividad de asistencia técnica realizada en {year}, o iniciada antes y "
                 "continuada en {year}. Empiece en la fila 2 y no deje filas vacías entre actividades: una "
                 "fila vacía termina la tabla."),
        ("item", "{activity_id}: su propia referencia, usada una sola vez en la hoja (si se deja vacía, se "
                 "calcula una). {thematic_area}, {activity_type}, {title} y {start_date} son obligatorios; "
                 "{participants_women} no puede superar {participants_total}."),
        ("item", "{standards}: elija una de la lista; para varias, escríbalas separadas por ';'. "
                 "{partners}: separe varios asociados con ';'."),
        ("heading", "{prisons}"),
        ("item", "Un valor por indicador y año: {year} y los cuatro años anteriores. Un valor de un año "
                 "anterior corrige la cifra publicada para ese año. Deje la celda vacía si no informa el "
                 "dato."),
        ("item", "Escriba un número o una de estas marcas:"),
        ("marks", ""),
        ("item", "{male} + {female} debe ser igual a {total}; {of_which} no pueden superar {total}. Un "
                 "cambio de más del 50 % respecto del año anterior se señala: explíquelo en {notes}."),
        ("heading", "{outcomes}"),
        ("item", "Una fila por resultado de la asistencia. {outcome_area}, {result_type}, {description} y "
                 "{status} son obligatorios; indique la {unit} siempre que indique un {value}. "
                 "{related_activity}: elija el {activity_id} de una fila de la hoja {activities}."),
    ],
    "RU": [
        ("title", "Ежегодный вопросник по предупреждению преступности и уголовному правосудию: "
                  "отчетный год {year}"),
        ("text", "Версия формы {version}, на русском языке. Одна книга на государство-член и отчетный год; "
                 "верните ее в формате .xlsx, указав в имени файла код ISO государства и год, например "
                 "{file_example}."),
        ("heading", "Как заполнять форму"),
        ("item", "Вводите данные только в белые ячейки. Затененные ячейки (заголовки, подписи и заранее "
                 "заполненные значения) защищены: не переименовывайте листы и не меняйте заголовки."),
        ("item", "Если ячейка предлагает список, выберите значение из него. Даты вводите как даты "
                 "(например, {date_example}), числа — без единиц измерения. Подсказка у каждой ячейки "
                 "говорит, что в нее вводить."),
        ("item", "Скрытый лист {lists} содержит списки; не изменяйте его."),
        ("heading", "{cover}"),
        ("item", "Выберите {member_state} из списка и укажите {institution} (обязательно), {focal_point}, "
                 "{email} и {submission_date}. {reporting_year}, {template_version} и {language} уже "
                 "заполнены."),
        ("heading", "{activities}"),
        ("item", "Одна строка на каждое мероприятие по технической помощи, проведенное в {year} г. или "
                 "начатое раньше и продолжавшееся в {year} г. Начните со строки 2 и не оставляйте пустых "
                 "строк между мероприятиями: пустая строка завершает таблицу."),
        ("item", "{activity_id}: ваш собственный номер, используемый на листе один раз (если оставить его "
                 "пустым, он будет присвоен автоматически). {thematic_area}, {activity_type}, {title} и "
                 "{start_date} обязательны; {participants_women} не может превышать {participants_total}."),
        ("item", "{standards}: выберите стандарт из списка; несколько стандартов введите через «;». "
                 "{partners}: нескольких партнеров разделяйте знаком «;»."),
        ("heading", "{prisons}"),
        ("item", "Одно значение на показатель и год: {year} г. и четыре предыдущих года. Значение за "
                 "прошлый год исправляет опубликованную за этот год цифру. Если данные не представляются, "
                 "оставьте ячейку пустой."),
        ("item", "Введите число или одну из следующих отметок:"),
        ("marks", ""),
        ("item", "{male} + {female} должно равняться {total}; {of_which} не могут превышать {total}. "
                 "Изменение более чем на 50 % по сравнению с предыдущим годом отмечается: поясните его в "
                 "графе {notes}."),
        ("heading", "{outcomes}"),
        ("item", "Одна строка на каждый результат помощи. {outcome_area}, {result_type}, {description} и "
                 "{status} обязательны; указывайте {unit} всякий раз, когда указываете {value}. "
                 "{related_activity}: выберите {activity_id} из строки листа {activities}."),
    ],
}  # fmt: skip

_QUOTES = {"EN": ("'", "'"), "FR": ("« ", " »"), "ES": ("«", "»"), "RU": ("«", "»")}


@dataclass(frozen=True)
class Line:
    style: str  # title | heading | text | item | mark (one Prisons mark, indented under its item)
    text: str


def _quoted(text: str, language: str) -> str:
    left, right = _QUOTES[language]
    return f"{left}{text}{right}"


def _mark_groups(language: str) -> list[tuple[str, str]]:
    """(how to write it, what it means) per observation status, from form.json's marks and qualifiers."""
    prisons = form.prisons_vocabulary()
    words = _STATUS_WORDS[language]
    marks: dict[str, list[str]] = {}
    for mark, status in prisons["marks"].items():
        marks.setdefault(status, []).append(mark)
    groups = [
        (", ".join(_quoted(m, language) for m in found), words[status]) for status, found in marks.items()
    ]
    for qualifier, status in prisons["qualifiers"].items():
        groups.append((_quoted(f"1200 {qualifier}", language), words[status]))
    return groups


def marks_summary(language: str) -> str:
    """The Prisons marks in one short phrase, for cell prompts: `'..' not available; 'n.a.', ...`."""
    return "; ".join(f"{how} {meaning}" for how, meaning in _mark_groups(language))


def _names(language: str, year: int) -> dict[str, str]:
    """Every name the texts mention, in the form's language, from form.json."""
    names: dict[str, str] = {}
    for kind in form.SHEET_KINDS:
        names[kind] = _quoted(form.sheet_names(kind)[language], language)
    names["lists"] = _quoted(form.ignored_sheet_names()["lists"][language], language)
    for kind in ("cover", "activities", "outcomes"):
        for name, spec in form.fields(kind).items():
            key = "related_activity" if (kind, name) == ("outcomes", "activity_id") else name
            names.setdefault(key, _quoted(spec[language], language))
    indicators = form.indicators()
    names["total"] = "PRISONERS_TOTAL"
    names["male"], names["female"] = "PRISONERS_MALE", "PRISONERS_FEMALE"
    names["of_which"] = ", ".join(
        code
        for code, spec in indicators.items()
        if spec.get("of_which") == names["total"] and code not in (names["male"], names["female"])
    )
    names["notes"] = _quoted(form.prisons_vocabulary()["notes_header"][language], language)
    names["year"] = str(year)
    names["version"] = form.form()["template_version"]
    names["file_example"] = f"KAZ_{year}.xlsx"
    names["date_example"] = f"{year}-03-15"
    return names


def instruction_lines(language: str, year: int) -> list[Line]:
    """The Instructions sheet of the form for `year`, in `language`, line by line."""
    names = _names(language, year)
    lines: list[Line] = []
    for style, text in _INSTRUCTIONS[language]:
        if style == "marks":
            colon = " : " if language == "FR" else ": "  # French typography: a space before the colon
            lines.extend(Line("mark", f"{how}{colon}{meaning}") for how, meaning in _mark_groups(language))
            continue
        rendered = text.format(**names)
        if style == "heading":
            rendered = rendered.removeprefix(_QUOTES[language][0]).removesuffix(_QUOTES[language][1])
        lines.append(Line(style, rendered))
    return lines


def messages(language: str, year: int) -> dict[str, str]:
    """Cell prompts and error texts in `language`, with the year, sheet names and marks filled in."""
    values = {
        "year": str(year),
        "activities": form.sheet_names("activities")[language],
        "marks": marks_summary(language),
    }
    return {key: text.format(**values) for key, text in _MESSAGES[language].items()}
