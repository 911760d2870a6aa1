"""The built-in multilingual lexicon of the four default themes.

Seed terms in the codebook are what facilitators see and edit; this lexicon adds the
wider vocabulary that professionals use for the same themes (inflections are handled
by lemmatisation, so each entry is written once). It is applied to a theme whose key
is one of the default keys, on top of its seed terms; a study's own themes rely on
their seed terms and definitions.

Each line is `weight: pattern; pattern; ...` in the syntax of `analysis.terms`.
Weights: 2 = on its own, a strong sign of the theme; 1 = a sign; 0.5 = supporting
context only; negative = talk that looks like the theme but is about something else
(the research's own recordings and pseudonyms are not the service users' privacy).
A passage is suggested a theme from about 2 points (see zeroshot.py).
"""

from __future__ import annotations

import re
from functools import cache

from analysis.terms import split_sense

_LEXICON: dict[str, dict[str, str]] = {
    "dependency": {
        "nl": """
        2: afhankelijk; afhankelijkheid; afhankelijk van; afhangen van; zelfredzaam;
           zelfredzaamheid; laatste redmiddel; laatste toevlucht; aangewezen op;
           overgeleverd aan; machtsongelijkheid; machtsverhouding; autonomie verliezen;
           niet zelfstandig; niet meer zelf; nooit alleen; kan het niet alleen;
           niet alleen kunnen; zonder hulp; zonder mij; zonder ons; zonder hen; zonder iemand;
           blind vertrouwen; moeten vertrouwen; in handen van; geen andere keuze; geen keuze;
           hulpeloos; kan .. zelf niet; zelf niet meer; heeft niemand; niemand anders;
           verder niemand; de enige die; enige deur; overgeleverd;
           zonder * zoon|dochter|kinderen|zus|broer;
           zonder * familie|buurman|buurvrouw|kleinzoon|kleindochter|neef|nicht; zonder u;
           zonder jou; nergens meer terecht; heeft mij nodig; hebben mij nodig;
           tot wie * wenden; durft niets; durft niet; niet durven; rekenen erop
        1: autonomie; autonoom; zelfstandig; zelfstandigheid; onafhankelijk; afhangen;
           vertrouwen; kwetsbaar; kwetsbaarheid; mantelzorger; mantelzorg; familielid;
           kleinkind; kleinzoon; kleindochter; buurman; buurvrouw; zoon; dochter;
           kinderen .. helpen; via iemand; via hun; hulp vragen; hulp nodig; om hulp vragen;
           hulp .. nodig; kunnen niet; kan niet; weet niet hoe; niet weten hoe; niet lezen;
           niet schrijven; analfabeet; laaggeletterd; laaggeletterdheid; geen smartphone;
           geen computer; geen internet; geen e-mailadres; schaamte; schamen; betuttelen;
           betutteling; macht; elke keer terugkomen; telkens terugkomen; terugkomen;
           steeds terug; iedere maand; overnemen; in * plaats; voor hem doen; voor haar doen;
           alles .. doen voor; niet begrijpen; begrijpt niet; digitale vaardigheid;
           digitaal vaardig; angst; bang; wachten op; isolement; geïsoleerd; eenzaam;
           rekenen op; moet wachten; telkens wachten; wachten tot; vertalen; voorlezen;
           lezen .. voor; via haar|zijn|hun zoon|dochter|kinderen; nergens terecht; neef; nicht;
           leren .. nooit; iemand vinden om; iemand zoeken om; mij volledig vertrouwen
        0.5: familie; vrijwilliger; alleen; helpen; hulp; begeleiden; begeleiding; oudere;
             bejaarde; digitale kloof; wachten; moeilijk; gsm; papier; brief; vriend; vriendin;
             zelf
        """,
        "fr": """
        2: dépendance; dépendre de; dépendant; dépendante; perte d'autonomie;
           perdre .. autonomie; dernier recours; à la merci; rapport de force;
           déséquilibre de pouvoir; rapport de pouvoir; sans aide; sans moi; sans nous;
           sans quelqu'un; ne .. pas seul; pas toute seule; pas tout seul; seul .. pas;
           obligé de passer par; passer par quelqu'un; confiance aveugle;
           faire confiance .. obligé; pas le choix; pas d'autre choix; aucun choix;
           entre les mains; pris en otage; infantiliser; infantilisation; impuissant;
           ne sait rien; rien faire seul; plus rien faire; indispensable; sauveur; sauveuse;
           doivent passer par; passer par nous; passer par moi; passer par un proche;
           proche de confiance; personne de confiance;
           sans * fils|fille|enfants|famille|voisin|voisine|neveu|nièce; tout s'arrête;
           n'a personne; personne d'autre; a besoin de moi; ont besoin de moi;
           vers qui se tourner; à qui s'adresser; n'ose rien; n'ose pas; seule porte;
           seul recours
        1: ne sait plus; autonomie; autonome; indépendance; indépendant; dépendre; confiance;
           faire confiance; vulnérable; vulnérabilité; fragilité; fragile; aidant proche;
           aidant; proche; fils; fille; petit-fils; petite-fille; enfants .. aider; voisin;
           voisine; demander de l'aide; demander .. aide; besoin d'aide; besoin .. aide;
           ne sait pas; ne savent pas; savoir .. pas; pas capable; incapable; ne lit pas;
           ne pas lire; analphabète; illettré; illettrisme; pas de smartphone; pas d'ordinateur;
           pas d'internet; pas d'adresse mail; pas d'adresse e-mail; honte; gêne; pouvoir;
           revenir chaque; chaque fois .. revenir; revenir; toujours revenir; chaque mois;
           faire à * place; à * place; faire pour lui; faire pour elle; tout faire pour;
           comprendre .. pas; ne comprend pas; ne comprennent pas; compétences numériques; peur;
           angoisse; attendre que; isolement; isolé; seul; intermédiaire; le seul; la seule;
           neveu; nièce; attendre .. que; ramener; lui-même; elle-même; gérer tout; tout gérer;
           à sa merci; trouver quelqu'un pour; chercher quelqu'un pour; me faire confiance
        0.5: famille; bénévole; aider; aide; accompagner; accompagnement; personne âgée; âgé;
             fracture numérique; attendre; difficile; gsm; papier; courrier; copain; ami; amie
        """,
        "en": """
        2: dependency; dependence; dependent; dependant; reliant; rely on; last resort;
           at the mercy; power imbalance; imbalance of power; loss of autonomy;
           lose .. autonomy; lose .. independence; without help; without me; without us;
           without someone; not on * own; cannot .. alone; can't .. alone; on their own;
           by herself; by himself; by themselves; blind trust; forced trust; no choice;
           no other choice; in the hands of; helpless; infantilise; infantilize; patronise;
           patronize; has no one; has nobody; no one else; nobody else; the only one;
           the only person;
           without * son|daughter|children|family|grandson|granddaughter|neighbour|nephew|niece;
           like a child; feels like a child; =depend|depends|depended|dependent on; needs me;
           need me; who to turn to; nowhere to turn; doesn't dare; does not dare; didn't dare;
           only door; trust me completely
        1: autonomy; autonomous; independence; independent; self-reliance; self-reliant; depend;
           trust; vulnerable; vulnerability; fragile; carer; caregiver; relative; son; daughter;
           grandson; granddaughter; grandchild; neighbour; neighbor; ask for help; need help;
           need .. help; cannot; can't; do not know how; don't know how; doesn't know how;
           not know how; cannot read; can't read; illiterate; illiteracy; no smartphone;
           no computer; no internet; no email address; shame; ashamed; power; come back;
           keep coming back; every time; every month; take over; instead of; on * behalf;
           for him; for her; do everything for; not understand; doesn't understand;
           digital skills; afraid; fear; anxious; wait for; isolated; isolation; alone; lonely;
           no way of; no way to; nephew; niece; rely; relies; handles everything;
           manage everything; waits for; find someone to; trust me
        0.5: family; volunteer; help; support; accompany; elderly; older; old; digital divide;
             wait; difficult; phone; paper; letter; friend
        """,
    },
    "privacy": {
        "nl": """
        2: privacy; privéleven; privé-leven; persoonsgegevens; persoonlijke gegevens;
           gevoelige gegevens; wachtwoord; paswoord; *wachtwoord; pincode; pin-code;
           geheime code; toegangscode; inloggegevens; codes doorgeven; code geven; code kennen;
           code opschrijven; rijksregisternummer; rijksregister; toestemming;
           geïnformeerde toestemming; instemming; volmacht; mandaat; avg; gdpr; beroepsgeheim;
           gedeeld beroepsgeheim; vertrouwelijk; vertrouwelijkheid; vertrouwelijke; intimiteit;
           privé; meekijken; bankgegevens; bankrekening; internetbankieren; bankapp; bank-app;
           phishing; oplichting; opgelicht; fraude; misbruik; e-mail .. lezen; mails lezen;
           mailbox; inloggen met; op zijn naam; op haar naam; in zijn naam; in haar naam;
           namens; kennen .. pincode|code|wachtwoord; weten .. pincode|code|wachtwoord;
           openen .. brief|brieven|post; brief|brieven .. openen; gezichtsherkenning;
           biometrisch; ziet alles; privénummer; privé bedrijf; privébedrijf; private firma
        1: kaartlezer; gegevens; data; code; codes; pin; login; inloggen; aanmelden; account;
           bankkaart; *kaart; identiteitskaart; eid; e-id; itsme; ebox; e-box; mail; e-mail;
           e-mailadres; gsm .. geven; telefoon .. geven; zijn telefoon; haar telefoon; zijn gsm;
           haar gsm; geheim; veiligheid; beveiliging; toegang; doorgeven; bewaren; opslaan;
           cookies; controle; bespieden; vertrouwen; handtekening; digitale sleutel; csam;
           mypension; myminfin; locatie; camera; fotograferen; foto's; zonder dat .. wist;
           beheren; mijn eigen
        0.5: papiertje; briefje; persoonlijk; telefoon; gsm; computer; nummer; adres; foto;
             scan; bank; rekening; delen; dossier; platform; bedrijf
        -1: opname; opnemen van de sessie; pseudoniem; synthese; wifi; wifi-code;
            wifi-wachtwoord
        """,
        "fr": """
        2: vie privée; données personnelles; données à caractère personnel; données sensibles;
           informations personnelles; mot de passe; mots de passe; code pin; code secret;
           code d'accès; codes d'accès; identifiant; identifiants; donner .. codes;
           donner .. code; connaître .. code; noter .. code; numéro de registre national;
           registre national; numéro national; consentement; consentement éclairé; consentir;
           procuration; mandat; rgpd; gdpr; secret professionnel; secret partagé;
           confidentialité; confidentiel; confidentielle; intimité; privé; privée;
           compte bancaire; banque en ligne; application bancaire; appli bancaire; home banking;
           digipass; phishing; hameçonnage; arnaque; escroquerie; fraude; usurpation;
           à son insu; à leur insu; en son nom; à son nom; au nom de; lire .. mails;
           lire .. courriels; boîte mail; boîte e-mail; boîte aux lettres électronique;
           adresse mail; se connecter avec; connaître .. code|codes|mot;
           ouvrir .. courrier|lettres|recommandés|lettre; reconnaissance faciale; biométrique;
           biométrie; voit tout; numéro privé; compte en banque; société privée;
           entreprise privée; opérateur privé
        1: lecteur de carte; données; donnée; code; codes; pin; login; connexion; se connecter;
           carte bancaire; carte d'identité; eid; itsme; ebox; e-box; mail; e-mail; courriel;
           son téléphone; sa tablette; son smartphone; son gsm; téléphone .. confier; secret;
           sécurité; sécuriser; accès; transmettre; conserver; stocker; cookies; surveillance;
           surveiller; contrôle; signature; clé numérique; csam; mypension; myminfin;
           tax-on-web; facebook; google; cahier; localisation; caméra; photographier; gérer;
           numéro de téléphone
        0.5: personnel; personnelle; téléphone; smartphone; ordinateur; numéro; adresse; photo;
             scanner; carte; banque; compte; partager; dossier; plateforme; opérateur;
             entreprise
        -1: enregistrement; enregistrer la séance; pseudonyme; synthèse; wifi; wi-fi
        """,
        "en": """
        2: privacy; private life; personal data; personal information; sensitive data; password;
           passwords; pin code; pin number; secret code; access code; credentials;
           login details; log-in details; give .. code; give .. codes; share .. password;
           know .. code; write down .. code; national register number; national number; consent;
           informed consent; consent form; power of attorney; mandate; gdpr;
           professional secrecy; shared secrecy; confidentiality; confidential; intimacy;
           private; bank account; online banking; banking app; bank app; digipass; phishing;
           scam; scammed; identity theft; without * knowledge; on * behalf; in * name;
           read .. emails; read .. mail; mailbox; inbox; email account; log in with;
           logged in with; know .. pin|code|password; open .. letters|mail|post;
           opens .. letters|mail; facial recognition; biometric; biometrics; sees everything;
           private company; private operator; private firm
        1: card reader; fraud; data; code; codes; pin; login; log in; logon; sign in; account;
           bank card; debit card; identity card; id card; eid; itsme; ebox; e-box; email;
           e-mail; mail; his|her|their phone; his|her|their smartphone; his|her|their tablet;
           secret; security; secure; access; pass on; store; cookies; surveillance; monitor;
           control; signature; digital key; csam; mypension; myminfin; facebook; google;
           notebook; location; camera; photograph; manage; phone number; own phone
        0.5: personal; phone; smartphone; computer; number; address; photo; scan; card; bank;
             share; sharing; keep; file; platform; operator; company
        -1: recording; record the session; pseudonym; synthesis; wifi; wi-fi
        """,
    },
    "outsourcing": {
        "nl": """
        2: uitbesteding; uitbesteden; uitbesteed; onderaannemer; onderaanneming; doorverwijzen;
           doorverwezen; doorverwijzing; doorsturen; doorgestuurd; doorschuiven; afschuiven;
           afwentelen; ga naar het ocmw; ga naar .. ocmw; ga naar een maatschappelijk werker;
           naar * maatschappelijk werker; loket .. gesloten; gesloten loket; loketten .. dicht;
           geen loket meer; geen loketten meer; loket .. afgeschaft; kantoor .. gesloten;
           bankkantoor .. gesloten; filiaal; kantoren sluiten; sluiting; hulplijn; callcenter;
           call center; digitaal loket; enkel online; alleen online; uitsluitend online;
           enkel nog online; alleen nog online; online afspraak; afspraak .. online;
           digital by default; werk van de administratie; hun werk; hun job; het werk van;
           onbetaald; onbetaalde; zonder vergoeding; zonder middelen; zonder financiering;
           administratieve last; werklast; besparing; besparen; bezuiniging;
           telefonisch onbereikbaar; onbereikbaar; niet bereikbaar; wachtrij;
           sturen * naar ons|naar het ocmw|naar de vakbond; sturen .. door; stuurt .. door;
           niemand .. gevraagd; doorschakelen; doorschakelt; neem contact op met;
           vraag hulp aan; contact .. maatschappelijk werker; hulporganisatie;
           enkel nog op afspraak; alleen nog op afspraak; alles via; alles moet online
        1.5: energieleverancier
        1: chatbot; loket; loketten; gesloten; sluiten; dicht; bankkantoor; *leverancier;
           openbare computerruimte; computerruimte; ocr; epn; leverancier; engie; luminus;
           sibelga; telenet; proximus; school; schoolinschrijving; ziekenfonds; mutualiteit;
           fod financiën; belastingdienst; rva; vdab; actiris; forem; capac; vakbond; gemeente;
           dienst; openbare dienst; overheid; vzw; vereniging; organisatie; sociale dienst;
           gratis; kosten; verwijzen; sturen; overdragen; telefoon .. niet opnemen; wachttijd;
           wachten aan de telefoon; wachtmuziek; formulier online; digitalisering; naar ons;
           komen bij ons; op afspraak; portaal; enkel nog; alleen nog; zitdag; zitdagen;
           digipunt; jeugdhuis; bibliotheek; consulent; hun klant; hun klanten; laten doen
        0.5: vroeger; ocmw; cpas; maatschappelijk werker; sociaal werker; hulpverlening; werk;
             opdracht; afspraak; telefoon; bellen; bij ons; bank; banken; platform; online;
             website; app; digitaal; vrijwilliger; administratie
        """,
        "fr": """
        2: sous-traitance; sous-traiter; sous-traitant; sous-traitants; renvoyer vers;
           renvoyé vers; renvoyée vers; renvoyer au cpas; renvoi; réorienter; réorienté;
           réorientation; adressez-vous; allez voir; aller voir un assistant social;
           voir .. assistant social; voir .. assistante sociale; guichet .. fermé;
           guichets .. fermés; guichet fermé; fermeture .. guichet; plus de guichet;
           suppression .. guichet; agence .. fermée; fermeture .. agence; agences ferment;
           ligne d'aide; helpline; call center; centre d'appel; centre d'appels;
           uniquement en ligne; seulement en ligne; exclusivement en ligne; que en ligne;
           tout en ligne; tout est en ligne; rendez-vous en ligne; prise de rendez-vous;
           numérique par défaut; digital by default; se décharger; décharger sur;
           report de charge; reporter sur; délester; faire le travail de;
           =leur travail|boulot|job|mission; le travail de l'administration; non rémunéré;
           non rémunérés; bénévolement; sans moyens; sans financement; sans subside;
           charge administrative; charge de travail; économiser; réduction de personnel;
           rentabilité; injoignable; pas joignable; file d'attente; envoyer .. chez nous;
           envoyer .. vers nous; renvoyer .. chez nous; envoyer .. epn; envoyer .. cpas;
           personne .. demandé; ne traite plus que; contactez; adressez-vous à; brochure;
           agents de terrain; fermer .. bureaux
        1.5: fournisseur d'énergie
        1: chatbot; guichet; guichets; fermé; fermer; fermeture; agence; fournisseur; epn;
           espace public numérique; économie; économies; engie; luminus; sibelga; proximus;
           école; inscription scolaire; mutuelle; spf finances; onem; actiris; forem; capac;
           syndicat; commune; service public; services publics; asbl; association; associations;
           organisme; service social; gratuit; gratuitement; coût; renvoyer; envoyer; orienter;
           transférer; décharger; ne répond pas; attente; temps d'attente; musique d'attente;
           formulaire en ligne; digitalisation; dématérialisation; chez nous; vers nous;
           sur rendez-vous; portail; plus que; bureau de poste; poste; société de logement;
           bibliothèque; leur client; leurs clients
        0.5: autrefois; avant; cpas; ocmw; assistant social; assistante sociale;
             travailleur social; travail; mission; rendez-vous; téléphone; appeler; banque;
             banques; plateforme; en ligne; site internet; application; numérique; bénévole;
             bénévoles; administration; administrations
        """,
        "en": """
        2: outsourcing; outsource; outsourced; subcontract; subcontractor; subcontractors;
           refer; referred; referral; go and see; see a social worker; counter .. closed;
           closed counter; counters .. closed; no counter; no more counter; branch .. closed;
           branch closure; branches closing; helpline; call centre; call center;
           digital counter; online only; only online; exclusively online; everything online;
           online appointment; appointment .. online; digital by default; shift onto;
           shift * onto; offload; pass on to; their job; their work; the work of; unpaid;
           without pay; without funding; without resources; administrative burden; workload;
           cost cutting; cost-cutting; savings; unreachable; not reachable; waiting line; queue;
           come to us; come straight to us; send them to us; sends * to us; nobody asked us;
           contact a social service; contact * social worker; contact a social;
           only takes online; only accepts; closed its branch; closed their branch
        1.5: energy supplier
        1: cuts; chatbot; counter; counters; closed; close; closure; branch; engie; supplier;
           public computer room; computer room; sent * to; send * to; luminus; sibelga;
           proximus; school; school registration; health insurer; health insurance fund; mutual;
           tax office; tax authority; unemployment office; actiris; forem; union; municipality;
           public service; public services; non-profit; association; organisation; organization;
           social service; free of charge; send; direct; transfer; shift; do not answer;
           don't answer; waiting; waiting time; hold music; on hold; online form;
           digitalisation; digitalization; to us; nobody asked; by appointment; portal;
           internet café; library; post office; housing company; only takes; their customer;
           their customers
        0.5: free; cost; used to; cpas; ocmw; social worker; support worker; work; mission;
             appointment; phone; call; bank; banks; platform; online; website; app; digital;
             volunteer; volunteers; administration; administrations
        """,
    },
    "role_confusion": {
        "nl": """
        2: rolverwarring; rolvervaging; rolonduidelijkheid; onduidelijke rol; mijn rol;
           onze rol; zijn rol; haar rol; niet mijn job; niet onze job; niet mijn taak;
           niet onze taak; niet mijn werk; niet ons werk; niet mijn rol; geen taak van;
           geen job van; geen opleiding; niet opgeleid; niet voor opgeleid; buiten * opleiding;
           buiten * opdracht; buiten * takenpakket; belastingaangifte; aangifte; tax-on-web;
           informaticaprobleem; computerproblemen; it-probleem; technicus; informaticus;
           secretaresse; secretariaat; samen doen; met de persoon; samen met; in de plaats doen;
           in zijn plaats; in haar plaats; in hun plaats; ambtenaar; deel van de administratie;
           verlengstuk; controleur; controleren; deontologie; deontologisch;
           deontologische code; beroepscode; ethiek; ethisch; zinverlies; zingeving;
           zin .. verliezen; uitputting; uitgeput; burn-out; burnout; opgebrand; overbelast;
           overbelasting; grenzen stellen; grens trekken; hoe ver; tot waar; beroepsidentiteit;
           aansprakelijk; aansprakelijkheid; verantwoordelijk als; duizendpoot; alles doen;
           manusje-van-alles; ben toch geen; klantendienst; administratief bediende;
           nog maatschappelijk werk; nog sociaal werk; niet voorbereid; functieomschrijving;
           mijn eigen itsme; mijn eigen gsm; mijn eigen telefoon; mijn privénummer; privénummer;
           deel van het systeem; van de staat; ons werk niet; onze job niet; mijn werk niet;
           mijn job niet; gedragscode; hun klant; schuldig voelen
        1: helpdesk; rol; rollen; job; taak; taken; opdracht; takenpakket; opleiding; opgeleid;
           competentie; bevoegdheid; belasting; belastingen; informatica; computer;
           app installeren; installeren; updaten; update; herstellen; repareren; instellen;
           configureren; administratief werk; papierwerk; formulieren invullen; invullen;
           controle; sanctie; sancties; grens; grenzen; beroep; vak; professioneel;
           professionaliteit; moe; vermoeid; frustratie; gefrustreerd; verantwoordelijk;
           verantwoordelijkheid; fout; fouten; wat is ons werk; waarvoor; sociaal werk;
           hulpverlening; begeleiding; vertrouwensrelatie; relatie; verwachtingen; bediende;
           bedienen; ik ben geen; gestudeerd; wat ik hier doe; mijn eigen; mijn schuld; functie;
           de staat; het systeem; voor hen doen; hun plaats; uitleggen .. app; organigram;
           functietitel; ongemakkelijk; geen expert; deskundige
        0.5: maatschappelijk werker; sociaal werker; hulpverlener; werk; collega; team; tijd;
             zwaar; druk; titel; onderscheid
        """,
        "fr": """
        2: confusion des rôles; confusion de rôle; flou; rôle flou; mon rôle; notre rôle;
           son rôle; leur rôle; pas =mon|notre travail|métier|boulot|job|rôle;
           pas =mon|notre mission|mandat; pas à nous de; pas à moi de; hors mission;
           hors de * mission; hors de * mandat; pas formé; pas formée; pas formés; pas .. formé;
           pas .. formés; aucune formation; sans formation; déclaration fiscale;
           déclaration d'impôts; déclaration d'impôt; tax-on-web; dépannage informatique;
           dépanner; dépanneur; technicien; informaticien; helpdesk; secrétaire; secrétariat;
           écrivain public; faire avec; faire avec la personne; faire pour; faire à la place;
           à la place de; agent de l'administration; fonctionnaire; guichetier; bras armé;
           contrôleur; contrôler; déontologie; déontologique; code de déontologie; éthique;
           perte de sens; sens .. métier; sens du travail; épuisement; épuisé; épuisée;
           burn-out; burnout; usure; surcharge; débordé; débordée; limite; limites;
           poser des limites; jusqu'où; identité professionnelle; légitimité; responsabilité;
           responsable si; touche-à-tout; homme à tout faire; tout faire; pas comptable;
           comptable; suis l'administration; travaille pour le spf; pas préparé; pas préparés;
           pas préparée; pas .. préparés;
           =mon|ma propre téléphone|carte|compte|gsm|smartphone|ordinateur;
           =mon téléphone|gsm|smartphone|ordinateur; =mon numéro privé|personnel; numéro privé;
           secrétariat permanent; vous êtes payée; payée pour ça; payé pour ça;
           pas votre administration; code professionnel; leur client; leurs clients;
           me sentir coupable; culpabilité
        1: rôle; rôles; métier; mission; missions; mandat; travail; boulot; job; tâche; tâches;
           formation; formé; compétence; compétences; impôt; impôts; fiscal; informatique;
           installer; installation; mise à jour; mettre à jour; réparer; paramétrer; configurer;
           travail administratif; paperasse; remplir; remplir .. formulaire; contrôle; sanction;
           sanctions; frontière; profession; professionnel; professionnalité; fatigue; fatigué;
           fatiguée; frustration; frustré; responsable; erreur; erreurs; sens; travail social;
           accompagnement; relation de confiance; relation; attentes; polyvalent; polyvalence;
           travailler pour; agent; indispensable; débloquer; ne fait plus que; pour eux;
           à notre place; expliquer .. application; organigramme; intitulé; mal à l'aise;
           pas expert; experte; expert
        0.5: assistant social; assistante sociale; travailleur social; travailleurs sociaux;
             collègue; équipe; temps; lourd; pression; écoute; lien
        """,
        "en": """
        2: role confusion; confusion of roles; blurred role; blurred roles; unclear role;
           my role; our role; their role; not my job; not our job; not my role; not our role;
           not my work; not our work; not my task; not our task; not part of my job;
           not what i am trained; outside * remit; outside * training; outside * mission;
           not trained; untrained; no training; tax return; tax returns; tax declaration;
           tax-on-web; it support; it troubleshooting; troubleshoot; troubleshooting;
           technician; helpdesk; help desk; secretary; clerical; clerk; public writer; do with;
           doing with; with the person; do for; instead of; in * place; civil servant;
           part of the administration; arm of the administration;
           extension of the administration; inspector; controller; policing; deontology;
           deontological; code of ethics; ethics; ethical; loss of meaning; lose .. meaning;
           meaningless; exhaustion; exhausted; burnout; burn-out; burned out; burnt out;
           worn out; overload; overloaded; overstretched; boundary; boundaries; draw the line;
           how far; professional identity; legitimacy; liable; liability; jack of all trades;
           not * accountant|technician|secretary|helpdesk|clerk; not the helpdesk; see me as;
           see us as; think i work for; not prepared; unprepared; own phone; own device;
           own account; own itsme; own login; own credentials; happened to the job;
           part of the system; not your administration; not * administration; professional code;
           code of conduct; their customer; their customers; felt guilty; feel guilty
        1: do everything; role; roles; job; task; tasks; remit; mission; mandate; training;
           trained; competence; skills; tax; taxes; it problem; it problems; computer; install;
           installing; update; updating; fix; repair; configure; administrative work; paperwork;
           fill in; fill out; control; sanction; sanctions; limit; limits; profession;
           professional; professionalism; tired; fatigue; frustration; frustrated; responsible;
           responsibility; mistake; mistakes; meaning; social work; trust relationship;
           relationship; expectations; do * for them; doing it for them; work for the;
           accountant; the job; personal number; private number; explain * app; explain the app;
           job title; organigram; uneasy; expert; barely understand
        0.5: set up; form; check; social worker; support worker; colleague; team; time; heavy;
             pressure; wonder
        """,
    },
}

# Broader coverage, written from the theme definitions in shared/DOMAIN.md and from how
# professionals talk about these situations (synonyms, paraphrases, word families,
# Dutch compounds, French and English variants), not from any benchmark passage. Kept
# apart from `_LEXICON` so that its provenance stays visible; merged by
# `lexicon_entries` (the strongest weight wins).
_BROADER: dict[str, dict[str, str]] = {
    "dependency": {
        "nl": """
        2: tussenpersoon; redt het niet; redden het niet; zich niet redden; lukt niet alleen;
           lukt .. niet alleen; machteloos; onmacht; verloren zonder; schatplichtig;
           moet telkens vragen; moet altijd vragen; moet .. vragen om; niemand om te vragen;
           niemand om te helpen; niemand die helpt; geen familie; geen netwerk;
           zelfstandigheid verliezen; autonomie kwijt; ten laste van; tot last;
           macht over; volledig afhankelijk; helemaal afhankelijk; niet-gebruik;
           rechten niet opnemen; haakt af; haken af; afhaken
        1.5: taalbarrière; verlies van autonomie; geeft het op; geven het op;
             kan het niet meer; kunnen het niet meer; lukt niet meer; ondergeschikt;
             ongelijkheid; controle over haar|hem|hun
        1: tussenschakel; schoonzoon; schoondochter; echtgenoot; echtgenote; kleinkinderen;
           vernederend; vernedering; waardigheid; tolk; spreekt geen; slechtziend; blind;
           dement; dementie; beperking; handicap; rolstoel; opgeven; dankbaar; hulpbehoevend;
           geholpen worden; lukt niet; steeds opnieuw; elke keer opnieuw; via via;
           via de buurman|buurvrouw|zoon|dochter
        0.5: broer; zus
        1.5: komt voor alles; tekent wat; zonder te weten; weet niet wat; blindelings;
             wacht tot * zoon|dochter|kleinzoon|kleindochter; in de steek gelaten;
             uit de boot; digitale uitsluiting;
             zoon|dochter|kleinzoon|kleindochter doet|regelt|beheert|leest|vult;
             buurman|buurvrouw|neef|nicht doet|regelt|beheert|leest|vult
        1: geblokkeerd; uitgesloten; uitsluiting
        2: tekent alles
        2: belt me voor alles; vertrouwt alleen mij; wacht op mij; wacht op me
        1.5: op vakantie; met verlof; als ik ziek ben; alleen mij; nooit aangevraagd
        1: voor alles; termijn verstreken; uitkering kwijt
        """,
        "fr": """
        2: par l'intermédiaire; s'en sortir seul; s'en sort pas; se débrouiller seul;
           débrouiller seule; perdu sans; impuissance; sous l'emprise; redevable;
           obligé de demander; obligée de demander; doit toujours demander; personne à qui;
           personne pour aider; personne pour l'aider; pas de famille; aucun réseau;
           non-recours; renoncer à ses droits; renonce à ses droits; pouvoir sur;
           totalement dépendant; complètement dépendant; entièrement dépendante;
           être un poids; à charge de
        1.5: emprise; barrière de la langue; barrière linguistique; n'y arrive plus;
             n'arrive plus; ne peut plus rien; abandonne; a abandonné; laisse tomber;
             inégalité; soumis; soumise; contrôle sur
        1: n'arrive pas; ne peut plus; beau-fils; belle-fille; gendre; mari; époux; épouse;
           petits-enfants; humiliant; humiliation; dignité; interprète; traduire;
           ne parle pas; malvoyant; aveugle; démence; handicap; fauteuil roulant;
           renoncer; abandonner; reconnaissant; démuni; démunie; dépend; dépendent;
           par le voisin|fils|fille|neveu; chaque fois de nouveau
        0.5: frère; sœur; soeur
        1.5: vient pour tout; signe ce que; sans savoir; ne sait pas ce qu; aveuglément;
             attend que * fils|fille; laissé de côté; laissée de côté; exclusion numérique;
             fils|fille|petit-fils|petite-fille|voisin|voisine|neveu|nièce fait|gère|lit|remplit
        1: bloqué; bloquée; coincé; coincée; exclu; exclue; exclusion
        2: signe n'importe quoi; laissés pour compte
        2: m'appelle pour tout; confiance qu'à moi; ne veut que moi
        1.5: en vacances; en congé; quand je suis absent|absente|malade; qu'à moi; m'attend;
             jamais demandé
        1: perdu * allocation|droits; délai dépassé
        0.5: pour tout
        """,
        "en": """
        2: go-between; can't manage on * own; cannot manage on * own; couldn't manage alone;
           cannot cope; can't cope; powerless; lost without; beholden; indebted;
           has to ask; have to ask; had to ask; nobody to ask; no one to ask;
           no one to help; nobody to help; nobody else to; no family; no network;
           completely dependent; totally dependent; entirely dependent; at * mercy;
           power over; hold over; non-take-up; gave up on; give up on; gives up on;
           a burden; be a burden
        1.5: middleman; intermediary; language barrier; can no longer; no longer able;
             no longer manage; gave up; given up; gives up; inequality;
             control over her|him|them; relies on; relied on; leans on; lean on; count on
        1: son-in-law; daughter-in-law; husband; wife; grandchildren; humiliating;
           humiliation; dignity; interpreter; translate; doesn't speak; does not speak;
           visually impaired; blind; dementia; disability; disabled; wheelchair; unable;
           grateful; helplessness; over and over; again and again;
           through her|his|their son|daughter|grandson|granddaughter|neighbour|nephew|niece
        0.5: brother; sister
        1.5: comes to us for everything; signs whatever; without knowing; no idea what;
             blindly; until * son|daughter|grandson|granddaughter; left behind; stranded;
             digital exclusion;
             son|daughter|grandson|granddaughter|neighbour|nephew|niece do|handle|manage|read|fill
        1: stuck; blocked; excluded; exclusion; cut off
        2: signs anything; doesn't know what * signs; does not know what * signs
        2: calls me for everything; only trusts me; waits for me; won't go to anyone else
        1.5: on holiday; on vacation; on leave; when i'm away; if i'm sick|ill; only me;
             only wants; never claimed; didn't claim; doesn't claim; missed the deadline
        1: for everything; anyone else; lost * benefit|allowance|benefits
        """,
    },
    "privacy": {
        "nl": """
        2: ingelogd blijven; blijft ingelogd; bleef ingelogd; vergeten uit te loggen;
           over * schouder; kopie van * identiteitskaart; kopie van * id; medische gegevens;
           gezondheidsgegevens; medisch dossier; gegevensbescherming; datalek;
           wie heeft toegang; toegang tot * rekening; toegang tot * mails; privégegevens;
           privézaken; persoonlijke informatie; persoonlijke zaken; gedeelde computer;
           tekenen in * plaats; handtekening zetten voor; gegevens doorverkopen;
           gegevens verkopen
        1.5: uitloggen; discretie; identiteitsbewijs; lek; gelekt; tracking; gevolgd worden;
             wachtwoorden; pincodes; geheimhouding; gluren
        1: afmelden; browser; opgeslagen; onthouden; sporen; wissen; cloud; discreet; medisch;
           diagnose; iedereen ziet; iedereen hoort; meeluisteren; identiteit; machtiging;
           gemachtigd
        0.5: kopie; wachtzaal; geschiedenis; verwijderen; foto van; scherm; handtekening;
             ondertekenen; bankafschrift; rekeninguittreksel; saldo; overschrijving
        """,
        "fr": """
        2: resté connecté; reste connecté; rester connecté; oublié de se déconnecter;
           par-dessus * épaule; copie de * carte d'identité; photo de * carte d'identité;
           données de santé; données médicales; dossier médical; protection des données;
           fuite de données; qui a accès; accès à * compte; accès à * mails;
           informations privées; affaires privées; ordinateur partagé; signer à * place;
           revendre les données; vendre les données; données revendues
        1.5: se déconnecter; déconnexion; discrétion; pièce d'identité; fuite; traçage;
             pister; mots de passe; codes pin; espionner; regarder par-dessus
        1: navigateur; enregistré; mémoriser; traces; historique; effacer; cloud; discret;
           discrète; médical; médicale; diagnostic; tout le monde voit; tout le monde entend;
           identité; habilitation; autorisation
        0.5: copie; salle d'attente; supprimer; photo de; écran; signature; signer;
             extrait de compte; extrait bancaire; solde; virement
        """,
        "en": """
        2: stayed logged in; stay logged in; still logged in; forgot to log out;
           over * shoulder; copy of * id; photo of * id; copy of * identity card;
           health data; medical data; medical file; medical record; data protection;
           data breach; data leak; who has access; access to * account; access to * email;
           private information; private matters; personal details; private details;
           shared computer; sign for her|him|them; sign on * behalf; sell * data; sold * data
        1.5: log out; logged out; discretion; identity document; leak; leaked; tracking;
             tracked; spy; spying; snoop; snooping; look over
        1: browser; saved; remember; traces; history; delete; cloud; discreet; medical;
           diagnosis; everyone can see; everyone could see; overhear; overheard; identity;
           authorisation; authorization; authorise; authorize
        0.5: copy; waiting room; erase; screen; sign; signed; bank statement; balance;
             bank transfer
        """,
    },
    "outsourcing": {
        "nl": """
        2: hun loket; het loket geworden; het loket van; gratis werk; gratis arbeid;
           zonder extra middelen; zonder extra personeel; zonder extra; verwezen naar;
           verwijzen naar; stuurt iedereen; sturen iedereen; sturen ze naar;
           stuurden haar naar; stuurden hem naar; de bank zei; de bank stuurt;
           minder personeel; personeelstekort; geen mens aan de lijn; niemand neemt op;
           keuzemenu; selfservice; kosten afwentelen; doen hun werk; hun werk doen;
           overheid bespaart; verdwijnen .. loketten; loketten verdwijnen;
           kantoren verdwijnen
        1.5: qr-code; druk op; geautomatiseerd; onderbemand; besparingen; bezuinigingen;
             waterleverancier; watergroep; farys; verzekeraar; smartschool; bpost;
             postkantoor; partnerschap; convenant
        1: subsidie; subsidies; vergoeding; zei dat ze moest; moest naar; zeiden .. naar;
           verwezen; doorverwezen; geen antwoord; nummer .. bellen; niet opgenomen;
           uren wachten; wachttijd; mutualiteit; ziekenfonds; rva; onem;
           huisvestingsmaatschappij; sociale huisvesting; telecom; folder; flyer
        """,
        "fr": """
        2: leur guichet; devenus le guichet; devenu le guichet; le guichet de;
           travail gratuit; main-d'œuvre gratuite; main d'oeuvre gratuite;
           sans moyens supplémentaires; sans personnel supplémentaire; rediriger; redirigé;
           redirigée; redirige; envoie tout le monde; envoient tout le monde;
           les envoient chez; l'ont envoyée; la banque a dit; la banque lui a dit;
           la banque envoie; moins de personnel; manque de personnel; aucun humain;
           personne ne répond; personne ne décroche; menu vocal; serveur vocal;
           borne automatique; reporter les coûts; faire leur travail; font leur travail;
           l'état économise; disparition des guichets; guichets disparaissent;
           agences disparaissent
        1.5: code qr; qr code; tapez; borne; automatisé; sous-effectif; coupes budgétaires;
             austérité; fournisseur d'eau; vivaqua; swde; assureur; smartschool; bpost;
             bureau de poste; partenariat; convention
        1: subside; subsides; compensation; indemnité; on lui a dit; lui ont dit;
           dit d'aller; redirection; orienté; orientée; pas de réponse; appeler le numéro;
           pas décroché; des heures d'attente; mutualité; mutuelle; onem;
           société de logement; logement social; télécom; dépliant; flyer
        """,
        "en": """
        2: their counter; became the counter; become the counter; free labour; free labor;
           unpaid work; unpaid labour; without extra resources; without extra staff;
           no extra resources; no extra staff; redirect; redirected; redirects;
           send everyone; sends everyone; sent her to us; sent him to us; sent them to us;
           the bank told; the bank said; the bank sends; fewer staff; staff cuts;
           budget cuts; no human; nobody answers; no one answers; nobody picks up;
           automated menu; phone menu; self-service; shift the cost; do their work;
           doing their work; counters disappear; branches disappear; closed down
        1.5: qr code; press 1; kiosk; automated; understaffed; austerity; water company;
             water supplier; insurer; smartschool; bpost; post office; partnership
        1: subsidy; subsidies; compensation; told her to go; told him to go;
           told them to go; told to go; was told to; pointed; no answer; call the number;
           never picks up; hours of waiting; health fund; mutuality; social housing;
           housing company; telecom; shut down; leaflet; flyer; cuts
        """,
    },
    "role_confusion": {
        "nl": """
        2: is dat mijn job; is dat ons werk; waarvoor dien ik; waar dienen wij voor;
           waar dienen we voor; waarvoor ben ik; kerntaak; kerntaken; ons echte werk;
           ons eigenlijke werk; echte werk; zien ons als; zien mij als; ze denken dat ik;
           ze denken dat wij; denken dat we van; nemen ons voor; bankbediende;
           loketbediende; schuldgevoel; ik kan niet meer; kan niet meer volgen;
           sneller als ik; sneller zelf; zelf sneller; dilemma; grijze zone;
           juridisch verantwoordelijk; als er iets misloopt; als het misgaat;
           functiebeschrijving; niet in mijn functie; waarom ik maatschappelijk werker;
           mijn vak; ons vak; daarvoor ben ik; daar ben ik niet voor;
           daarvoor zijn we niet
        1.5: uitputtend; overspoeld; stress; gestrest; empowerment; zelf leren; achterhaald;
             verouderd; misloopt; misgaat; verklikken; bewaker; alsof wij; alsof ik
        1: printer; printen; scanner; downloaden; resetten; laptop; software; technisch;
           verzuipen; emancipatie; aanleren; zelf laten doen; politie; overuren;
           onbetaalde uren; geen tijd meer voor; hiërarchie; juridisch
        1.5: op mijn vrije dag; belt me thuis; bellen me thuis; men verwacht; verwacht van ons;
             al doende geleerd; nooit geleerd
        2: nooit opgeleid; niemand heeft ons opgeleid
        1: in het weekend; whatsapp; wij zijn geen; youtube
        """,
        "fr": """
        2: est-ce mon travail; est-ce notre travail; est-ce notre rôle; à quoi je sers;
           à quoi on sert; à quoi nous servons; cœur de métier; cœur du métier;
           coeur de métier; vrai travail; vrai métier; notre vrai; nous prennent pour;
           nous prend pour; me prend pour; me prennent pour; employé de banque;
           employée de banque; culpabiliser; je n'en peux plus; n'en peux plus; à bout;
           plus rapide si je; plus vite si je; plus vite de le faire; dilemme; zone grise;
           responsabilité juridique; si ça tourne mal; en cas d'erreur;
           description de fonction; fiche de fonction; pas dans ma fonction;
           pourquoi j'ai choisi; ce n'est pas pour ça; pas pour ça que
        1.5: épuisant; épuisante; débordement; stress; stressé; stressée; craquer;
             ras-le-bol; pouvoir d'agir; empowerment; apprendre à faire; dépassé; dépassée;
             obsolète; tourne mal; dénoncer; comme si on était
        1: imprimante; imprimer; scanner; télécharger; réinitialiser; ordinateur portable;
           logiciel; technique; surmené; noyé; noyée; émancipation; laisser faire; police;
           heures supplémentaires; arrêt maladie; plus le temps de; si je me trompe;
           =attendent de nous; hiérarchie; juridique; culpabilise; comme si j'étais
        1.5: jour de congé; m'appelle chez moi; m'appellent chez moi; on attend de nous;
             sur le tas
        2: personne ne nous a formés; jamais été formé; jamais été formée
        1: le week-end; whatsapp; nous ne sommes pas; youtube
        """,
        "en": """
        2: is that my job; is this my job; is that our job; is this our job; what am i for;
           what we are for; what are we for; core task; core tasks; core business;
           real job; real work; actual job; see us as; see me as; saw me as; saw us as;
           take us for; took me for; mistake us for; bank clerk; bank employee;
           counter clerk; guilt; can't take it anymore; at the end of my rope;
           no longer have time; quicker if i; faster if i; quicker to do it myself;
           faster to do it myself; dilemma; grey area; gray area; grey zone;
           legal responsibility; legally responsible; if something goes wrong;
           job description; not in my job description; why i became; why i chose;
           not why i; that's not what i; not what we are here for;
           became a social worker
        1.5: draining; drained; overwhelmed; swamped; stress; stressed; empowerment;
             empower; teach them; learn to do; outdated; obsolete; goes wrong; report them;
             snitch; as if we were
        1: printer; print; scanner; download; reset; laptop; software; technical;
           tech support; emancipation; let them do; police; overtime; unpaid hours;
           sick leave; no time for; if i make a mistake; hierarchy; legal; as if i were
        1.5: on my day off; calls me at home; call me at home; they expect us; expected to do;
             on the job
        2: nobody trained us; never trained; no one trained us
        1: at the weekend; on weekends; whatsapp; we are not; youtube
        """,
    },
}

_TIER = re.compile(r"^\s*(-?\d+(?:\.\d+)?):(.*)$")

# Names that mean the same in every language of the tool.
_SHARED = {
    "privacy": "1: itsme; ebox; csam; digipass; eid",
    "outsourcing": "1: myminfin; tax-on-web; mypension; irisbox",
}


def _parse(block: str) -> list[tuple[str, float]]:
    entries: list[tuple[str, float]] = []
    current: float | None = None
    for line in block.splitlines():
        match = _TIER.match(line)
        if match:
            current = float(match.group(1))
            line = match.group(2)
        for piece in line.split(";"):
            if piece.strip() and current is not None:
                entries.append((piece.strip(), current))
    return entries


@cache
def lexicon_entries(key: str, language: str) -> tuple[tuple[str, float], ...]:
    """Return (pattern, weight) pairs of the built-in lexicon for a default theme."""
    block = _LEXICON.get(key, {}).get(language, "")
    broader = _BROADER.get(key, {}).get(language, "")
    entries = _parse(block) + _parse(broader) + _parse(_SHARED.get(key, ""))
    # The strongest weight wins when a pattern is listed twice.
    best: dict[str, float] = {}
    for pattern, weight in entries:
        best[pattern] = max(weight, best.get(pattern, weight))
    # A sense entry replaces the plain pattern: its marker and its weight win.
    for pattern, weight in _parse(_SENSES.get(key, {}).get(language, "")):
        best.pop(split_sense(pattern)[0], None)
        best[pattern] = weight
    return tuple(sorted(best.items()))


def has_lexicon(key: str) -> bool:
    """Return whether `key` is a default theme with a built-in lexicon."""
    return key in _LEXICON


# Other senses of the themes' words, written from the theme definitions and from how
# report prose uses the same words (not from any benchmark passage). A pattern here
# overrides the same pattern of `_LEXICON`/`_BROADER` (with or without its sense
# marker): `?word` needs another term of the theme nearby (only for words with another
# meaning: "rôle des communes" is an institution's remit, not the worker's role;
# general words of the right meaning stay plain), `^word` must be a noun
# after a determiner, weight 0 marks another sense and hides the theme's shorter
# terms inside it ("pouvoirs publics" is not power), 0.5 demotes an ambient word of
# the whole field (digitalisation, public services, associations) to context.
_SENSES: dict[str, dict[str, str]] = {
    "dependency": {
        "nl": """
        1: ?terugkomen; ?overnemen;
        0.5: ?alleen
        0: in eerste plaats; in de eerste plaats; in tweede plaats; in de tweede plaats;
           in laatste plaats; terugkomen op
        """,
        "fr": """
        1: ^pouvoir; ?seul; ?le seul; ?la seule; ?revenir; ?ramener; ?indispensable;
           ^proche; =proches; ^aidant; =aidants; ?par l'intermédiaire;
           ?intermédiaire
        0: pouvoirs publics; pouvoir public; pouvoirs locaux; pouvoir local; pouvoir d'achat;
           pouvoir subsidiant; pouvoirs subsidiants; pouvoir organisateur; seul moyen;
           seule façon; revenir sur; en aidant
        """,
        "en": """
        1: ?come back;
           ^relative; =relatives; ?power
        0: power of attorney; purchasing power; public powers; power supply; power cut;
           relative to; come back to; the only way; the only thing
        """,
    },
    "privacy": {
        "nl": """
        1.5: ?privé; ?privé bedrijf; ?privébedrijf; ?private firma; ?mandaat; ?namens
        1: ?toegang; ?veiligheid; ?controle; ?vertrouwen; ?beheren
        0: privésector; privé-sector; private sector; private partners; private actoren;
           private spelers; toegang tot rechten; toegang tot * rechten; toegang tot hulp;
           toegang tot diensten; toegang tot zorg; toegang tot de dienstverlening;
           deontologische code; sociale veiligheid
        """,
        "fr": """
        1.5: ?privé; ?privée; ?société privée; ?entreprise privée; ?opérateur privé; ?mandat;
           ?au nom de
        1: ?accès; ?contrôle; ?gérer; ?sécurité; ?sécuriser
        0: secteur privé; privé de; privée de; privés de; privées de; acteurs privés;
           partenaires privés; prestataires privés; accès aux droits; accès à * droits;
           accès au droit; accès aux services; accès aux soins; accès à l'aide;
           sécurité sociale; code de déontologie; code déontologique; code postal;
           code du travail; code pénal; code civil; code de conduite; tenir compte;
           en compte; rendre compte; compte tenu; au bout du compte; du personnel;
           le personnel; de personnel; membres du personnel
        """,
        "en": """
        1.5: ?private; ?private company; ?private operator; ?private firm; ?mandate;
           ?on behalf of
        1: ?access; ?control; ?manage; ?secure; ?store; ?security
        0: private sector; private actors; private partners; private providers;
           private sector's; access to rights; access to * rights; access to services;
           access to benefits; access to support; access to care; access to the internet;
           social security; code of conduct; code of ethics; postal code; post code;
           take into account; taking into account; taken into account; account for;
           accounts for; on account of
        """,
    },
    "outsourcing": {
        "nl": """
        1.5: ?sluiting; ?verwijzen naar;
           ?verwezen naar
        1: ?gesloten; ?sluiten; ?dicht; ?sturen; ?verwijzen;
        0.5: digitalisering; openbare dienst; overheid; vzw; vereniging; organisatie;
           sociale dienst; gemeente; dienst
        """,
        "fr": """
        1.5:
        1: ?renvoyer; ?orienter; ?économie; ?économies; ?poste;
           ?agence; ?attente; ?renvoi; ne * plus que; ne * plus qu'
        0.5: digitalisation; dématérialisation; service public; services publics;
           association; associations; asbl; organisme; commune; service social
        0: plus que
        """,
        "en": """
        1.5: ?refer; ?referred
        1: direct * to; directed * to; directs * to; pointed !out; =closed|closes|closing;
           ?shift; ?union
        0.5: digitalisation; digitalization; public service; public services; association;
           organisation; organization; non-profit; municipality; social service
        0: direct; pointed; point out; pointed out; points out; close; closed;
           =refers to; referred to as; refer to as; counter to; to counter
        """,
    },
    "role_confusion": {
        "nl": """
        1: ?rol; ?rollen
        1.5: ?aangifte
        1: ?samen met; ?hoe ver; ?tot waar; ?controleren;
           ?secretariaat; ?grens; ?grenzen; ?de staat; ?het systeem; ?functie;
           ?controle
        0.5: sociaal werk
        """,
        "fr": """
        1: ?rôle; ?rôles
        1.5: ?faire avec;
           ?comptable
        1: ?jusqu'où; ?limite; ?limites;
           ?contrôler; ?secrétariat; ?agent; ?technique;
           ?contrôle;
           ?mandat;
        0.5: travail social
        0: secrétaire d'état; secrétaire général; secrétaire générale
        """,
        "en": """
        1: ?role; ?roles
        1.5: ?do with;
           ?controller
        1: ?how far;
           ?mandate;
           ?control; ?limit; ?limits;
           ?meaning;
        0.5: social work
        0: to do with; nothing to do with; has to do with; have to do with; had to do with;
           secretary of state; secretary general; data controller
        """,
    },
}
