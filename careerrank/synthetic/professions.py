"""The professions the synthetic generator draws from: titles, skills and duties in Russian and English.

Lists are ``|``-separated; a skill written ``ru=en`` has a different English spelling. Salaries are a
middle specialist's monthly pay in Moscow, in roubles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profession:
    """One occupation; ``key`` is the ground-truth label and never appears in generated text."""

    key: str
    it: bool
    ru_titles: tuple[str, ...]
    en_titles: tuple[str, ...]
    ru_skills: tuple[str, ...]
    en_skills: tuple[str, ...]
    ru_duties: tuple[str, ...]
    en_duties: tuple[str, ...]
    salary: int
    neighbours: tuple[str, ...]
    weight: float


def _p(
    key: str,
    it: bool,
    ru_titles: str,
    en_titles: str,
    skills: str,
    ru_duties: str,
    en_duties: str,
    salary: int,
    neighbours: str,
    weight: float = 1.0,
) -> Profession:
    pairs = [s.split("=", 1) if "=" in s else [s, s] for s in skills.split("|")]
    return Profession(
        key=key,
        it=it,
        ru_titles=tuple(ru_titles.split("|")),
        en_titles=tuple(en_titles.split("|")),
        ru_skills=tuple(ru for ru, _ in pairs),
        en_skills=tuple(en for _, en in pairs),
        ru_duties=tuple(ru_duties.split("|")),
        en_duties=tuple(en_duties.split("|")),
        salary=salary,
        neighbours=tuple(neighbours.split("|")),
        weight=weight,
    )


# fmt: off
# One profession per block reads as a table; the formatter would put every argument on its own line.
PROFESSIONS: tuple[Profession, ...] = (
    _p("backend_python", True,
       "Python-разработчик|Backend-разработчик (Python)|Программист Python|Разработчик на Python",
       "Python Developer|Backend Engineer (Python)|Python Software Engineer",
       "Python|Django|FastAPI|PostgreSQL|Docker|Redis|Celery|REST API|asyncio|SQLAlchemy|Kafka|Git|pytest",
       "разработка и поддержка backend-сервисов|проектирование REST API для мобильного и веб-клиента|"
       "оптимизация медленных SQL-запросов|написание unit- и интеграционных тестов|участие в code review|"
       "интеграция с внешними платёжными сервисами",
       "build and maintain backend services|design REST APIs for web and mobile clients|"
       "optimise slow SQL queries|write unit and integration tests|take part in code reviews|"
       "integrate third-party payment providers",
       230_000, "data_engineer|backend_java", 2.5),
    _p("backend_java", True,
       "Java-разработчик|Backend-разработчик Java|Программист Java|Разработчик Java/Kotlin",
       "Java Developer|Backend Engineer (Java)|Java Software Engineer",
       "Java|Spring Boot|Hibernate|Kotlin|PostgreSQL|Kafka|Maven|Gradle|Microservices=microservices|JUnit|Docker",
       "разработка микросервисов на Spring Boot|доработка высоконагруженной процессинговой системы|"
       "проектирование схем данных и миграций|поддержка CI-пайплайнов сборки|разбор инцидентов в продакшене",
       "develop Spring Boot microservices|extend a high-load payment processing system|"
       "design data schemas and migrations|maintain build CI pipelines|investigate production incidents",
       250_000, "backend_python|mobile_dev", 2.0),
    _p("frontend_dev", True,
       "Frontend-разработчик|Фронтенд-разработчик (React)|Веб-разработчик|JavaScript-разработчик",
       "Frontend Developer|React Developer|Front-End Engineer|JavaScript Developer",
       "JavaScript|TypeScript|React|Redux|Vue.js|HTML|CSS|Webpack|Next.js|Jest|Figma",
       "вёрстка адаптивных интерфейсов по макетам из Figma|разработка SPA на React и TypeScript|"
       "оптимизация скорости загрузки страниц|покрытие компонентов тестами|взаимодействие с дизайнерами и бэкендом",
       "build responsive interfaces from Figma mockups|develop single-page applications in React and TypeScript|"
       "improve page load performance|cover components with tests|work closely with designers and backend engineers",
       200_000, "mobile_dev|ux_designer", 2.0),
    _p("data_scientist", True,
       "Data Scientist|Специалист по машинному обучению|ML-инженер|Исследователь данных",
       "Data Scientist|Machine Learning Engineer|ML Researcher",
       "Python|pandas|scikit-learn|PyTorch|SQL|CatBoost|A/B-тесты=A/B testing|статистика=statistics|Spark|MLflow",
       "построение моделей оттока и кредитного скоринга|проведение A/B-тестов и анализ их результатов|"
       "подготовка признаков из сырых логов|вывод моделей в продакшен вместе с MLOps|"
       "исследование новых подходов к рекомендациям",
       "build churn and credit scoring models|run A/B tests and analyse the results|"
       "engineer features from raw event logs|ship models to production with the MLOps team|"
       "research new approaches to recommendations",
       250_000, "data_engineer|business_analyst", 1.5),
    _p("devops_engineer", True,
       "DevOps-инженер|SRE-инженер|Инженер DevOps|Инженер по инфраструктуре",
       "DevOps Engineer|Site Reliability Engineer|Infrastructure Engineer",
       "Docker|Kubernetes|Terraform|Ansible|GitLab CI|Prometheus|Grafana|Linux|AWS|Helm|Nginx|Bash",
       "поддержка кластеров Kubernetes|автоматизация развёртывания через GitLab CI|"
       "настройка мониторинга и алертинга|описание инфраструктуры как кода в Terraform|"
       "снижение стоимости облачной инфраструктуры",
       "run Kubernetes clusters|automate deployments with GitLab CI|set up monitoring and alerting|"
       "describe infrastructure as code in Terraform|reduce cloud infrastructure costs",
       260_000, "system_admin|security_engineer", 1.5),
    _p("qa_engineer", True,
       "Тестировщик|QA-инженер|Инженер по тестированию|Специалист по автоматизации тестирования",
       "QA Engineer|Software Tester|Test Automation Engineer",
       "Selenium|Postman|pytest|SQL|Jira|TestRail|Playwright|API-тестирование=API testing|Allure|Git",
       "ручное и автоматизированное тестирование веб-приложений|написание тест-кейсов и чек-листов|"
       "заведение и сопровождение дефектов в Jira|разработка автотестов на Python|регрессионное тестирование релизов",
       "test web applications manually and automatically|write test cases and checklists|"
       "file and track defects in Jira|develop automated tests in Python|run release regression testing",
       150_000, "frontend_dev|technical_writer", 1.5),
    _p("onec_developer", True,
       "Программист 1С|Разработчик 1С|1С-программист|Специалист по доработке 1С",
       "1C Developer|1C:Enterprise Programmer",
       "1С:Предприятие 8.3=1C:Enterprise 8.3|1С:ERP=1C:ERP|1С:УТ=1C:Trade Management|СКД=Data Composition System|"
       "обмены данными=data exchange|SQL|БСП=Standard Subsystems Library|1С:ЗУП=1C:Payroll",
       "доработка конфигураций 1С:ERP и 1С:УТ|настройка обменов между базами|"
       "разработка отчётов на СКД|обновление нетиповых конфигураций|консультирование пользователей",
       "customise 1C:ERP and 1C:Trade configurations|set up data exchange between databases|"
       "build reports with the Data Composition System|update customised configurations|support end users",
       200_000, "staff_accountant|business_analyst"),
    _p("system_admin", True,
       "Системный администратор|Администратор сети|Инженер технической поддержки|Сисадмин",
       "System Administrator|Network Administrator|IT Support Engineer",
       "Windows Server|Active Directory|Linux|Cisco|MikroTik|VMware|DNS|DHCP|Exchange|PowerShell|1С",
       "администрирование серверов Windows и Linux|поддержка пользователей и оргтехники|"
       "настройка сетевого оборудования Cisco и MikroTik|резервное копирование и восстановление данных|"
       "учёт лицензий и закупка оборудования",
       "administer Windows and Linux servers|support users and office equipment|"
       "configure Cisco and MikroTik network gear|run backups and data recovery|"
       "track licences and purchase hardware",
       110_000, "devops_engineer|security_engineer", 1.5),
    _p("product_manager", True,
       "Продакт-менеджер|Менеджер продукта|Product Owner|Владелец продукта",
       "Product Manager|Product Owner|Digital Product Manager",
       "Jira|Confluence|CJM|Unit-экономика=unit economics|SQL|Amplitude|A/B-тесты=A/B testing|Customer Development|"
       "roadmap|Scrum",
       "формирование roadmap продукта|приоритизация бэклога вместе с командой разработки|"
       "проведение customer development интервью|анализ продуктовых метрик и воронок|"
       "запуск новых функций и оценка их эффекта",
       "own the product roadmap|prioritise the backlog with the engineering team|"
       "run customer development interviews|analyse product metrics and funnels|"
       "launch new features and measure their impact",
       250_000, "it_project_manager|business_analyst"),
    _p("ux_designer", True,
       "UX/UI-дизайнер|Дизайнер интерфейсов|Продуктовый дизайнер|Веб-дизайнер",
       "UX/UI Designer|Product Designer|Interaction Designer",
       "Figma|прототипирование=prototyping|дизайн-системы=design systems|Adobe Photoshop|UX-исследования=UX research|"
       "Miro|Illustrator|адаптивный дизайн=responsive design",
       "проектирование пользовательских сценариев и прототипов|развитие дизайн-системы продукта|"
       "проведение юзабилити-тестирований|подготовка макетов для разработки в Figma",
       "design user flows and prototypes|evolve the product design system|run usability tests|"
       "prepare Figma mockups for developers",
       170_000, "graphic_designer|frontend_dev"),
    _p("staff_accountant", False,
       "Бухгалтер|Бухгалтер по первичной документации|Бухгалтер на участок расчётов|Бухгалтер-кассир",
       "Accountant|Staff Accountant|Bookkeeper",
       "1С:Бухгалтерия=1C Accounting|первичная документация=source documents|НДС=VAT|банк-клиент=online banking|"
       "Excel|налоговый учёт=tax accounting|МСФО=IFRS|акты сверки=reconciliations|Контур.Экстерн=Kontur.Extern",
       "ведение первичной документации|расчёты с поставщиками и покупателями|сверка взаиморасчётов с контрагентами|"
       "подготовка и сдача налоговой отчётности|участие в закрытии месяца",
       "maintain source documents|handle accounts payable and receivable|reconcile balances with counterparties|"
       "prepare and file tax returns|take part in the month-end close",
       90_000, "economist_planner|financial_analyst", 1.5),
    _p("sales_manager", False,
       "Менеджер по продажам|Менеджер по работе с клиентами|Специалист по продажам|Менеджер активных продаж",
       "Sales Manager|Account Manager|Sales Representative",
       "холодные звонки=cold calling|CRM|переговоры=negotiation|B2B|amoCRM|Битрикс24=Bitrix24|"
       "работа с возражениями=objection handling|коммерческие предложения=sales proposals",
       "поиск и привлечение новых клиентов|проведение переговоров и презентаций|ведение клиентской базы в CRM|"
       "выполнение плана продаж|подготовка коммерческих предложений",
       "find and win new clients|run negotiations and presentations|keep the client base in the CRM|"
       "meet the sales plan|prepare commercial proposals",
       100_000, "marketing_manager|call_center", 2.0),
    _p("logistics_coordinator", False,
       "Логист|Специалист по логистике|Менеджер по логистике|Логист-диспетчер",
       "Logistics Coordinator|Logistics Specialist|Supply Chain Coordinator",
       "транспортная логистика=transport logistics|ВЭД=foreign trade|Excel|1С:УТ=1C:Trade Management|"
       "таможенное оформление=customs clearance|маршрутизация=route planning|WMS|SAP",
       "планирование и оптимизация маршрутов доставки|поиск перевозчиков и контроль сроков|"
       "оформление товаросопроводительных документов|взаимодействие с таможенными брокерами",
       "plan and optimise delivery routes|source carriers and track delivery times|"
       "prepare shipping documents|work with customs brokers",
       85_000, "warehouse_worker|delivery_driver"),
    _p("hr_recruiter", False,
       "Рекрутер|Менеджер по подбору персонала|HR-менеджер|Специалист по подбору",
       "Recruiter|Talent Acquisition Specialist|HR Manager",
       "подбор персонала=recruitment|hh.ru|собеседования=interviewing|адаптация=onboarding|кадровое делопроизводство="
       "HR administration|LinkedIn|Хантфлоу=Huntflow|оценка персонала=performance assessment",
       "закрытие вакансий от публикации до выхода сотрудника|проведение первичных собеседований|"
       "ведение кандидатов в ATS|адаптация новых сотрудников|развитие HR-бренда компании",
       "fill vacancies from posting to start date|run screening interviews|track candidates in the ATS|"
       "onboard new employees|grow the employer brand",
       90_000, "sales_manager|corporate_lawyer"),
    _p("corporate_lawyer", False,
       "Юрист|Юрисконсульт|Корпоративный юрист|Юрист по договорной работе",
       "Lawyer|Legal Counsel|Corporate Lawyer",
       "договорная работа=contract law|арбитраж=litigation|КонсультантПлюс=ConsultantPlus|"
       "корпоративное право=corporate law|претензионная работа=claims handling|Гарант=Garant|due diligence",
       "подготовка и согласование договоров|представление интересов компании в арбитражных судах|"
       "правовая экспертиза локальных актов|претензионная работа с контрагентами",
       "draft and negotiate contracts|represent the company in commercial courts|"
       "review internal policies|handle claims against counterparties",
       130_000, "hr_recruiter|economist_planner"),
    _p("registered_nurse", False,
       "Медицинская сестра|Медсестра процедурного кабинета|Палатная медсестра|Операционная медсестра",
       "Registered Nurse|Staff Nurse|Ward Nurse",
       "забор крови=blood sampling|внутривенные инъекции=IV injections|сертификат по сестринскому делу="
       "nursing licence|уход за пациентами=patient care|медицинская документация=medical records|"
       "асептика=aseptic technique",
       "выполнение назначений врача|забор крови и постановка капельниц|ведение медицинской документации|"
       "уход за пациентами в стационаре",
       "carry out physician orders|take blood samples and set up IV drips|keep medical records|"
       "care for inpatients",
       65_000, "school_teacher|line_cook", 1.2),
    _p("school_teacher", False,
       "Учитель математики|Учитель английского языка|Преподаватель информатики|Учитель начальных классов",
       "Teacher|Maths Teacher|English Teacher",
       "ФГОС=national curriculum|подготовка к ЕГЭ=exam preparation|методика преподавания=teaching methods|"
       "электронный журнал=e-gradebook|работа с родителями=parent communication|классное руководство=form tutoring",
       "проведение уроков по утверждённой программе|подготовка учеников к экзаменам|"
       "проверка домашних и контрольных работ|классное руководство и работа с родителями",
       "teach lessons to the approved curriculum|prepare students for exams|"
       "mark homework and tests|act as a form tutor and meet parents",
       70_000, "technical_writer|registered_nurse"),
    _p("delivery_driver", False,
       "Водитель|Водитель-экспедитор|Водитель категории C|Курьер на авто",
       "Delivery Driver|Van Driver|Truck Driver",
       "категория B=category B licence|категория C=category C licence|знание города=city knowledge|"
       "путевые листы=trip logs|навигатор=GPS navigation|тахограф=tachograph",
       "доставка грузов по городу и области|погрузка и разгрузка товара|оформление путевых листов|"
       "контроль технического состояния автомобиля",
       "deliver goods across the city and region|load and unload cargo|fill in trip logs|"
       "check the vehicle's condition",
       90_000, "logistics_coordinator|warehouse_worker", 1.2),
    _p("line_cook", False,
       "Повар|Повар горячего цеха|Повар-универсал|Су-шеф",
       "Line Cook|Chef de Partie|Cook",
       "горячий цех=hot kitchen|технологические карты=recipe cards|HACCP|заготовки=prep work|"
       "санитарные нормы=food safety|банкетное обслуживание=banqueting",
       "приготовление блюд по технологическим картам|заготовка полуфабрикатов|"
       "соблюдение санитарных норм на кухне|приёмка продуктов и контроль сроков годности",
       "cook dishes to recipe cards|prepare semi-finished products|keep the kitchen up to food safety rules|"
       "receive deliveries and check shelf life",
       70_000, "retail_cashier|warehouse_worker"),
    _p("site_electrician", False,
       "Электромонтажник|Электрик|Электромонтёр по ремонту оборудования|Инженер-электрик",
       "Electrician|Maintenance Electrician|Electrical Technician",
       "допуск по электробезопасности=electrical safety clearance|чтение схем=reading schematics|"
       "электромонтаж=electrical installation|КИПиА=instrumentation|щитовое оборудование=switchgear|"
       "мультиметр=multimeter",
       "монтаж кабельных линий и щитового оборудования|плановый ремонт электрооборудования|"
       "поиск и устранение неисправностей|ведение оперативной документации",
       "install cable lines and switchgear|carry out planned maintenance of electrical equipment|"
       "find and fix faults|keep maintenance logs",
       90_000, "construction_foreman|mechanical_engineer"),
    _p("marketing_manager", False,
       "Маркетолог|Интернет-маркетолог|Менеджер по маркетингу|Специалист по digital-маркетингу",
       "Marketing Manager|Digital Marketing Specialist|Performance Marketer",
       "Яндекс.Директ=Yandex Direct|SEO|SMM|Google Analytics|контекстная реклама=paid search|"
       "email-маркетинг=email marketing|Яндекс.Метрика=Yandex Metrica|контент-план=content planning",
       "запуск и оптимизация рекламных кампаний|анализ каналов привлечения и ROI|"
       "подготовка контент-плана для соцсетей|работа с подрядчиками и агентствами",
       "launch and optimise ad campaigns|analyse acquisition channels and ROI|plan social media content|"
       "manage agencies and contractors",
       130_000, "sales_manager|graphic_designer"),
    _p("business_analyst", True,
       "Бизнес-аналитик|Системный аналитик|Аналитик бизнес-процессов|Аналитик требований",
       "Business Analyst|Systems Analyst|Requirements Analyst",
       "BPMN|UML|SQL|Confluence|Jira|REST API|сбор требований=requirements gathering|ТЗ=specifications|Visio",
       "сбор и формализация требований заказчиков|описание бизнес-процессов в нотации BPMN|"
       "подготовка технических заданий для разработки|приёмка доработок и демонстрации",
       "gather and formalise stakeholder requirements|model business processes in BPMN|"
       "write specifications for developers|accept deliveries and run demos",
       180_000, "product_manager|data_scientist", 1.5),
    _p("call_center", False,
       "Оператор call-центра|Специалист контакт-центра|Оператор на входящую линию|Менеджер горячей линии",
       "Call Centre Agent|Customer Support Representative|Contact Centre Operator",
       "входящие звонки=inbound calls|скрипты продаж=call scripts|CRM|грамотная речь=clear speech|"
       "работа с жалобами=complaint handling|чаты поддержки=support chats",
       "приём входящих звонков и обращений в чатах|консультирование клиентов по услугам|"
       "фиксация обращений в CRM|решение спорных ситуаций",
       "answer inbound calls and support chats|advise customers on services|log every request in the CRM|"
       "resolve disputes",
       55_000, "sales_manager|retail_cashier", 1.2),
    _p("warehouse_worker", False,
       "Кладовщик|Комплектовщик|Работник склада|Оператор склада",
       "Warehouse Operative|Order Picker|Warehouse Associate",
       "ТСД=handheld scanner|WMS|инвентаризация=stock taking|погрузчик=forklift|комплектация заказов=order picking|"
       "1С:Склад=1C Warehouse",
       "приёмка и размещение товара на складе|комплектация заказов по накладным|"
       "участие в инвентаризациях|работа с терминалом сбора данных",
       "receive and put away stock|pick orders against delivery notes|take part in stock counts|"
       "work with a handheld scanner",
       65_000, "logistics_coordinator|delivery_driver", 1.2),
    _p("construction_foreman", False,
       "Прораб|Мастер строительно-монтажных работ|Производитель работ|Начальник участка",
       "Construction Foreman|Site Manager|Site Supervisor",
       "ПОС и ППР=construction plans|исполнительная документация=as-built documentation|AutoCAD|сметы=cost estimates|"
       "охрана труда=health and safety|технадзор=technical supervision",
       "организация работ на строительном объекте|контроль качества и сроков работ подрядчиков|"
       "ведение исполнительной документации|приёмка материалов",
       "organise work on the construction site|control the quality and timing of subcontractors|"
       "keep as-built documentation|accept materials on site",
       130_000, "site_electrician|mechanical_engineer"),
    _p("financial_analyst", False,
       "Финансовый аналитик|Аналитик по финансам|Специалист по финансовому планированию|FP&A-аналитик",
       "Financial Analyst|FP&A Analyst|Finance Analyst",
       "финансовое моделирование=financial modelling|Excel|Power BI|бюджетирование=budgeting|МСФО=IFRS|SQL|"
       "управленческая отчётность=management reporting|DCF",
       "подготовка управленческой отчётности|построение финансовых моделей проектов|"
       "анализ отклонений факта от бюджета|участие в годовом бюджетировании",
       "prepare management reports|build financial models for projects|analyse budget variances|"
       "take part in the annual budgeting cycle",
       150_000, "economist_planner|staff_accountant"),
    _p("security_engineer", True,
       "Специалист по информационной безопасности|Инженер ИБ|Аналитик SOC|Пентестер",
       "Security Engineer|Information Security Analyst|SOC Analyst|Penetration Tester",
       "SIEM|Burp Suite|OWASP|ISO 27001|Kali Linux|SOC|DLP|Wireshark|152-ФЗ=data protection law|Python",
       "мониторинг событий ИБ в SIEM|расследование инцидентов|проведение тестов на проникновение|"
       "разработка политик безопасности|анализ уязвимостей веб-приложений",
       "monitor security events in the SIEM|investigate incidents|run penetration tests|"
       "write security policies|assess web application vulnerabilities",
       230_000, "devops_engineer|system_admin"),
    _p("mobile_dev", True,
       "iOS-разработчик|Android-разработчик|Мобильный разработчик|Flutter-разработчик",
       "iOS Developer|Android Developer|Mobile Engineer|Flutter Developer",
       "Swift|Kotlin|Android SDK|SwiftUI|Flutter|Dart|Jetpack Compose|Firebase|REST API|Git",
       "разработка мобильного приложения для iOS и Android|интеграция с backend по REST API|"
       "публикация сборок в App Store и Google Play|оптимизация производительности интерфейса",
       "develop the iOS and Android app|integrate with the backend over REST|"
       "publish builds to the App Store and Google Play|improve UI performance",
       240_000, "frontend_dev|backend_java"),
    _p("technical_writer", True,
       "Технический писатель|Специалист по технической документации|Технический редактор",
       "Technical Writer|Documentation Engineer|Technical Editor",
       "Markdown|Confluence|ГОСТ 34=GOST 34|DITA|Git|API-документация=API documentation|MadCap Flare|Swagger",
       "написание пользовательской и API-документации|подготовка документации по ГОСТ 34|"
       "ведение базы знаний в Confluence|редактирование текстов разработчиков",
       "write user guides and API documentation|prepare documentation to national standards|"
       "maintain the Confluence knowledge base|edit texts written by engineers",
       130_000, "qa_engineer|business_analyst", 0.8),
    _p("economist_planner", False,
       "Экономист|Экономист по планированию|Ведущий экономист|Экономист планово-экономического отдела",
       "Economist|Planning Economist|Cost Economist",
       "планирование=planning|калькуляция себестоимости=cost accounting|Excel|1С:УПП=1C Manufacturing|"
       "бюджетирование=budgeting|анализ затрат=cost analysis|госзакупки=public procurement",
       "расчёт себестоимости продукции|подготовка планов и смет|анализ затрат по подразделениям|"
       "подготовка отчётов для руководства",
       "calculate product costs|prepare plans and cost estimates|analyse costs by department|"
       "prepare reports for management",
       90_000, "staff_accountant|financial_analyst"),
    _p("data_engineer", True,
       "Data Engineer|Инженер данных|Разработчик DWH|ETL-разработчик",
       "Data Engineer|DWH Developer|ETL Developer",
       "Python|SQL|Apache Airflow|Spark|Kafka|ClickHouse|Hadoop|dbt|PostgreSQL|Greenplum",
       "разработка ETL-пайплайнов на Airflow|проектирование витрин данных в DWH|"
       "оптимизация запросов в ClickHouse и Greenplum|контроль качества данных",
       "build ETL pipelines in Airflow|design data marts in the warehouse|"
       "tune ClickHouse and Greenplum queries|monitor data quality",
       250_000, "backend_python|data_scientist"),
    _p("it_project_manager", True,
       "Руководитель IT-проектов|Менеджер проектов|Project Manager|Scrum-мастер",
       "IT Project Manager|Project Manager|Delivery Manager|Scrum Master",
       "Jira|Agile|Scrum|Kanban|MS Project|управление рисками=risk management|PMBOK|Confluence|"
       "бюджет проекта=project budgeting",
       "планирование сроков и ресурсов проекта|координация команды разработки и подрядчиков|"
       "отчётность перед заказчиком|управление рисками и изменениями",
       "plan project timelines and resources|coordinate the development team and vendors|"
       "report to the client|manage risks and change requests",
       200_000, "product_manager|business_analyst"),
    _p("graphic_designer", False,
       "Графический дизайнер|Дизайнер полиграфии|Дизайнер рекламы|Моушн-дизайнер",
       "Graphic Designer|Visual Designer|Motion Designer",
       "Adobe Photoshop|Illustrator|InDesign|CorelDRAW|After Effects|фирменный стиль=brand identity|"
       "допечатная подготовка=prepress|Figma",
       "разработка макетов рекламной продукции|создание баннеров для соцсетей|"
       "поддержка фирменного стиля|подготовка файлов к печати",
       "design print advertising|create social media banners|maintain the brand identity|"
       "prepare files for print",
       100_000, "ux_designer|marketing_manager"),
    _p("mechanical_engineer", False,
       "Инженер-механик|Инженер-конструктор|Механик участка|Инженер по ремонту оборудования",
       "Mechanical Engineer|Design Engineer|Maintenance Engineer",
       "КОМПАС-3D=KOMPAS-3D|SolidWorks|AutoCAD|ЕСКД=drafting standards|ППР оборудования=planned maintenance|"
       "гидравлика=hydraulics|чтение чертежей=reading drawings",
       "разработка конструкторской документации|организация ремонта технологического оборудования|"
       "подбор комплектующих и запчастей|контроль работы сервисных подрядчиков",
       "produce design documentation|organise repairs of production equipment|"
       "select components and spare parts|supervise service contractors",
       110_000, "construction_foreman|site_electrician"),
    _p("retail_cashier", False,
       "Продавец-кассир|Кассир|Продавец-консультант|Администратор торгового зала",
       "Cashier|Sales Associate|Retail Assistant",
       "работа с кассой=cash register|выкладка товара=merchandising|консультирование покупателей=customer service|"
       "1С:Розница=1C Retail|инкассация=cash handling",
       "обслуживание покупателей на кассе|выкладка товара и контроль ценников|"
       "консультирование по ассортименту|участие в инвентаризациях",
       "serve customers at the till|stock shelves and check price tags|advise customers on the range|"
       "take part in stock counts",
       50_000, "call_center|warehouse_worker", 1.2),
)
# fmt: on

BY_KEY = {p.key: p for p in PROFESSIONS}
