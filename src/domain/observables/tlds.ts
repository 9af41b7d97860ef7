/**
 * Top-level domains accepted when finding domain names in free text. A closed list keeps file names
 * (`setup.exe`, `sshd.service`, `report.pdf`) from being read as domains; the ccTLDs that are also common
 * file extensions (`.sh`, `.py`, `.pl`, `.md`, `.rs`, `.so`) are left out of free-text matching on purpose.
 * Values that a source labels as a domain are accepted whatever their TLD.
 */
export const FREE_TEXT_TLDS: ReadonlySet<string> = new Set(
  (
    'com net org edu gov mil int info biz io co ai app dev cloud online site xyz top club shop store tech ' +
    'live news blog mobi name pro tv me cc us uk de fr ru cn jp br au ca es se ch no nl be at dk fi ie it ' +
    'pt gr cz hu ro bg ua by kz tr il ir in pk bd id my th vn ph sg hk tw kr nz za ng ke eg ma ar cl mx pe ' +
    've ec uy su ws tk ml ga cf gq to eu asia local localhost localdomain internal corp lan home arpa onion ' +
    'icu cyou buzz rest monster bond sbs cfd lol link click work today space website host fun zone'
  ).split(' '),
);

/** Internal-only names: observables there are kept but are not used to group alerts from different hosts. */
export const INTERNAL_TLDS: ReadonlySet<string> = new Set([
  'local',
  'localhost',
  'localdomain',
  'internal',
  'corp',
  'lan',
  'home',
  'arpa',
]);
