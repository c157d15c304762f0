BEGIN TRANSACTION;
CREATE TABLE facility_rows (
	version INTEGER NOT NULL, 
	facility_id TEXT NOT NULL, 
	name TEXT, 
	category TEXT, 
	type TEXT, 
	district_adcode BIGINT, 
	township TEXT, 
	address TEXT, 
	lon FLOAT, 
	lat FLOAT, 
	capacity BIGINT, 
	capacity_unit TEXT, 
	available_places BIGINT, 
	opening_hours TEXT, 
	phone TEXT, 
	services TEXT, 
	status TEXT, 
	updated_at TEXT, 
	source TEXT, 
	PRIMARY KEY (version, facility_id), 
	FOREIGN KEY(version) REFERENCES versions (version) ON DELETE CASCADE
);
INSERT INTO "facility_rows" VALUES(1,'V1-A','甲站','elderly','community_station',150602,'交通街道','甲站路1号',109.95,39.81,10,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(1,'V1-B','乙站','elderly','community_station',150602,'交通街道','乙站路1号',109.96,39.81,20,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(1,'V1-C','丙站','elderly','community_station',150602,'交通街道','丙站路1号',109.97,39.81,30,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(2,'V1-A','甲站','elderly','community_station',150602,'交通街道','甲站路1号',109.95,39.81,15,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(2,'V1-B','乙站','elderly','community_station',150602,'交通街道','乙站路1号',109.96,39.81,20,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(2,'V1-C','丙站','elderly','community_station',150602,'交通街道','丙站路1号',109.97,39.81,30,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(2,'V1-D','丁站','elderly','community_station',150602,'交通街道','丁站路1号',109.98,39.81,5,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(3,'V1-A','甲站','elderly','community_station',150602,'交通街道','甲站路1号',109.95,39.81,10,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(3,'V1-B','乙站','elderly','community_station',150602,'交通街道','乙站路1号',109.96,39.81,20,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
INSERT INTO "facility_rows" VALUES(3,'V1-C','丙站','elderly','community_station',150602,'交通街道','丙站路1号',109.97,39.81,30,'beds',NULL,'Mo-Fr 08:00-18:00','0477-8000000','助餐;日间照料','open','2025-01-01','v1 fixture');
CREATE TABLE users (
	name TEXT NOT NULL, 
	password_hash TEXT NOT NULL, 
	role TEXT NOT NULL, 
	created_at TEXT NOT NULL, 
	failed_logins INTEGER DEFAULT '0' NOT NULL, 
	last_failed_at TEXT, 
	PRIMARY KEY (name)
);
INSERT INTO "users" VALUES('wang','$argon2id$v=19$m=65536,t=3,p=4$axqRQ3D5hTMzJgWNOuLziQ$h9HX4o8O3QsAvi4xER5CMeVSFXXPpFoQC9ulTvPPVJA','editor','2026-11-30T06:16:19+00:00',0,NULL);
CREATE TABLE versions (
	version INTEGER NOT NULL, 
	created_at TEXT NOT NULL, 
	user_name TEXT NOT NULL, 
	action TEXT NOT NULL, 
	file_name TEXT DEFAULT '' NOT NULL, 
	sha256 TEXT DEFAULT '' NOT NULL, 
	mode TEXT DEFAULT '' NOT NULL, 
	restored_from INTEGER, 
	added INTEGER NOT NULL, 
	changed INTEGER NOT NULL, 
	removed INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	total INTEGER NOT NULL, 
	note TEXT DEFAULT '' NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "versions" VALUES(1,'2026-11-30T06:16:19+00:00','system','init','v1.csv','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','',NULL,3,0,0,0,3,'');
INSERT INTO "versions" VALUES(2,'2026-11-30T06:16:19+00:00','wang','import','v2.csv','bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb','upsert',NULL,1,1,0,2,4,'');
INSERT INTO "versions" VALUES(3,'2026-11-30T06:16:19+00:00','li','restore','','','',1,0,1,1,2,3,'restore of version 1');
COMMIT;
