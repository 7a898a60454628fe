//! The Italian text and names of the synthetic data set: tax topics, questions and answers,
//! provinces, practice names and feedback categories.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `italian_feedback_category` values.
pub(super) const CATEGORIES: [&str; 5] =
    ["normativa_obsoleta", "interpretazione_errata", "caso_mancante", "calcolo_sbagliato", "troppo_generico"];

/// Provinces of the registration numbers.
pub(super) const PROVINCES: [&str; 10] = ["MI", "RM", "TO", "NA", "BO", "FI", "VE", "GE", "BA", "PA"];

/// Practice names of the expert profiles.
pub(super) const ORG_NAMES: [&str; 6] = [
    "Rossi & Associati",
    "Bianchi Commercialisti",
    "Fiscale Verdi",
    "Ferrari STP",
    "Esposito Consulting",
    "Romano Tax",
];

const TOPICS: [&str; 12] = [
    "l'IVA nel regime forfettario",
    "la detrazione IRPEF per le spese mediche",
    "il credito d'imposta per ricerca e sviluppo",
    "la cedolare secca sugli affitti brevi",
    "il ravvedimento operoso per l'F24 tardivo",
    "l'IMU sulla seconda casa",
    "il superbonus per i condomini",
    "la fattura elettronica verso la PA",
    "i contributi INPS della gestione separata",
    "la rottamazione delle cartelle esattoriali",
    "l'assegno unico per i figli",
    "la tassazione delle plusvalenze sulle criptovalute",
];

const OPENERS: [&str; 4] = ["Come si calcola", "Quali sono le regole per", "Chi ha diritto a", "Quando scade"];

const SENTENCES: [&str; 8] = [
    "Secondo la normativa vigente, il contribuente deve verificare i requisiti soggettivi e oggettivi previsti dalla legge.",
    "L'Agenzia delle Entrate ha chiarito il punto con una circolare che distingue i casi ordinari da quelli particolari.",
    "Il termine ordinario coincide con la scadenza della dichiarazione dei redditi dell'anno di riferimento.",
    "In caso di errore è possibile regolarizzare la posizione con il ravvedimento operoso e sanzioni ridotte.",
    "Occorre conservare la documentazione giustificativa per tutto il periodo di accertamento.",
    "Le soglie sono aggiornate annualmente dalla legge di bilancio e vanno verificate caso per caso.",
    "Per i soggetti con partita IVA si applicano regole specifiche sul versamento degli acconti.",
    "Si consiglia di consultare un commercialista iscritto all'albo per le situazioni più complesse.",
];

/// A question about a tax topic and a 3-6 sentence answer.
pub(super) fn text(rng: &mut ChaCha8Rng) -> (String, String) {
    let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
    let opener = OPENERS[rng.gen_range(0..OPENERS.len())];
    let year = rng.gen_range(2023..=2026);
    let question = format!(
        "{opener} {topic} nel {year}? Sono un libero professionista con un fatturato di circa {} euro e vorrei sapere cosa cambia per me.",
        rng.gen_range(10..90) * 1000
    );
    let mut answer = String::with_capacity(800);
    answer.push_str("In merito a ");
    answer.push_str(topic);
    answer.push_str(" per il ");
    answer.push_str(&year.to_string());
    answer.push_str(": ");
    for _ in 0..rng.gen_range(3..7) {
        answer.push_str(SENTENCES[rng.gen_range(0..SENTENCES.len())]);
        answer.push(' ');
    }
    answer.pop();
    (question, answer)
}
